#pragma once
// An environment spec (DESIGN.md section 4): the YAML a data engineer writes for one pipeline, or
// a conda environment.yml taken as is. Parsing validates everything up front and reads the files
// the spec copies, so a Spec is complete: its hash, tag and build context follow from it alone.
//
// Errors are ErrorCode::kInvalidArgument with "file:line:col: key.path: what was expected".
// Thread-safety: free functions without shared state; a Spec is a plain value.

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/result.h"

namespace vpe::envspec {

// Bumped whenever rendering changes what an image contains: it is part of every hash, so a new
// builder never reuses images made by an older one.
inline constexpr const char* kBuilderVersion = "1";

inline constexpr const char* kDefaultBase = "vpe/debian:bookworm";
// conda environment.yml files are built on a base that provides micromamba.
inline constexpr const char* kDefaultCondaBase = "mambaorg/micromamba:1.5.8";
inline constexpr const char* kDefaultUser = "65534:65534";
inline constexpr const char* kDefaultWorkdir = "/";
inline constexpr const char* kDefaultNetwork = "none";
inline constexpr const char* kResultDir = "/vpe/out";
inline constexpr const char* kResultPath = "/vpe/out/result.json";
inline constexpr const char* kImageRepoPrefix = "vpe-env/";

// Image labels written on every image vpe builds.
inline constexpr const char* kLabelManaged = "io.vpe.managed";
inline constexpr const char* kLabelEnv = "io.vpe.env";
inline constexpr const char* kLabelSpecHash = "io.vpe.spec-hash";
inline constexpr const char* kLabelBuilderVersion = "io.vpe.builder-version";
inline constexpr const char* kLabelSpec = "io.vpe.spec";

struct Resources {
  int64_t memory_bytes = 512LL << 20;                            // memory == memory+swap
  double cpus = 1.0;                                             // NanoCpus = cpus * 1e9
  int64_t pids = 256;                                            // PidsLimit
  std::chrono::milliseconds timeout = std::chrono::minutes(30);  // per task
};

// One `files:` entry as written: src relative to the spec's directory, dest absolute in the image.
struct FileCopy {
  std::string src;
  std::string dest;
  std::string context_path;  // where src sits in the build context: "files/0/" or "files/0/x.py"
};

// One entry of the build context under files/<index>/..., read when the spec was parsed.
struct ContextFile {
  std::string path;  // context-relative, e.g. "files/0/extract.py"; directories end without '/'
  bool is_dir = false;
  int mode = 0644;  // permission bits as found on disk
  std::string content;
};

enum class SpecKind {
  kVpe,    // the vpe YAML format
  kConda,  // a conda environment.yml
};

struct CondaEnv {
  std::vector<std::string> channels;
  std::vector<std::string> dependencies;  // conda match specs, in order
  std::vector<std::string> pip;           // the nested `- pip: [...]` list
  std::map<std::string, std::string> variables;
};

struct Spec {
  SpecKind kind = SpecKind::kVpe;
  std::string name;
  std::string description;
  std::string base;
  std::vector<std::string> apt;
  std::vector<std::string> pip;
  std::vector<FileCopy> files;
  std::vector<std::string> setup;
  std::map<std::string, std::string> env;
  std::string workdir;
  std::string user;
  Resources resources;
  std::string network;
  CondaEnv conda;  // kind == kConda only

  std::string source_path;                 // the file it was read from (as given)
  std::string base_dir;                    // `files` sources resolve here and must stay inside it
  std::vector<ContextFile> context_files;  // resolved `files`, in spec order, then path order
  std::string hash;  // full sha256 hex over the normalised spec, context files, builder version
};

// Parses and validates a spec file (vpe format, or conda when it has `dependencies`/`channels`).
// base_dir is the file's directory.
Result<Spec> ParseSpecFile(const std::string& path);

// Parses `yaml_text`; errors name `file_name_for_errors`; `files` resolve under base_dir.
Result<Spec> ParseSpec(const std::string& yaml_text, const std::string& file_name_for_errors,
                       const std::string& base_dir);

// The normalised spec: defaults filled, lists in their order, maps sorted; no source paths.
nlohmann::json NormalizedSpec(const Spec& spec);
// NormalizedSpec as compact JSON text (what is hashed and stored in the io.vpe.spec label).
std::string NormalizedSpecText(const Spec& spec);
// sha256 hex over the builder version, the normalised spec and every context file's path, kind,
// mode and bytes. ParseSpec stores it in Spec::hash.
std::string ComputeSpecHash(const Spec& spec);

// "vpe-env/<name>"
std::string ImageRepository(const std::string& env_name);
// "vpe-env/<name>:<first 12 hex of the hash>"
std::string ImageTag(const Spec& spec);

}  // namespace vpe::envspec
