#include "env_specs/spec.h"

#include <openssl/evp.h>

#include <memory>

#include "env_specs/units.h"

namespace vpe::envspec {
namespace {

class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr);
  }
  // Length-prefixed, so that no two different sequences of fields hash alike.
  void Field(const std::string& data) {
    std::string len = std::to_string(data.size()) + ":";
    EVP_DigestUpdate(ctx_.get(), len.data(), len.size());
    EVP_DigestUpdate(ctx_.get(), data.data(), data.size());
  }
  std::string Hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_.get(), md, &n);
    static const char* kDigits = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < n; ++i) {
      out += kDigits[md[i] >> 4];
      out += kDigits[md[i] & 0xf];
    }
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
};

}  // namespace

nlohmann::json NormalizedSpec(const Spec& spec) {
  nlohmann::json j;  // objects keep keys sorted: key order in the file cannot matter
  j["kind"] = spec.kind == SpecKind::kConda ? "conda" : "vpe";
  j["name"] = spec.name;
  j["description"] = spec.description;
  j["base"] = spec.base;
  j["workdir"] = spec.workdir;
  j["user"] = spec.user;
  j["network"] = spec.network;
  j["resources"] = {
      {"memory", FormatSize(spec.resources.memory_bytes)},
      {"cpus", spec.resources.cpus},
      {"pids", spec.resources.pids},
      {"timeout", FormatDuration(spec.resources.timeout)},
  };
  if (spec.kind == SpecKind::kConda) {
    j["channels"] = spec.conda.channels;
    j["dependencies"] = spec.conda.dependencies;
    j["pip"] = spec.conda.pip;
    j["variables"] = spec.conda.variables;
    return j;
  }
  j["apt"] = spec.apt;
  j["pip"] = spec.pip;
  j["files"] = nlohmann::json::array();
  for (const FileCopy& f : spec.files) j["files"].push_back({{"src", f.src}, {"dest", f.dest}});
  j["setup"] = spec.setup;
  j["env"] = spec.env;
  return j;
}

std::string NormalizedSpecText(const Spec& spec) { return NormalizedSpec(spec).dump(); }

std::string ComputeSpecHash(const Spec& spec) {
  Sha256 h;
  h.Field(std::string("vpe-builder ") + kBuilderVersion);
  h.Field(NormalizedSpecText(spec));
  for (const ContextFile& f : spec.context_files) {
    h.Field(f.is_dir ? "dir" : "file");
    h.Field(f.path);
    h.Field(std::to_string(f.mode));
    h.Field(f.content);
  }
  return h.Hex();
}

std::string ImageRepository(const std::string& env_name) { return kImageRepoPrefix + env_name; }

std::string ImageTag(const Spec& spec) {
  return ImageRepository(spec.name) + ":" + spec.hash.substr(0, 12);
}

}  // namespace vpe::envspec
