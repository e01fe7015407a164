// libFuzzer target for the spec parser: every input either parses into a complete Spec (hash,
// tag, Dockerfile) or yields an InvalidArgument error that names the file. Anything else (a
// crash, a sanitizer report, a hang, an exception escaping) is a bug.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "env_specs/render.h"
#include "env_specs/spec.h"

#ifndef VPE_FUZZ_BASE_DIR
#define VPE_FUZZ_BASE_DIR "."
#endif

namespace {

[[noreturn]] void Broken(const char* what) {
  __builtin_trap();
  (void)what;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  // `files` resolve under the examples directory, so copies of real files are exercised too.
  const char* base = std::getenv("VPE_FUZZ_BASE_DIR");
  vpe::Result<vpe::envspec::Spec> spec =
      vpe::envspec::ParseSpec(text, "fuzz.yml", base != nullptr ? base : VPE_FUZZ_BASE_DIR);
  if (!spec.ok()) {
    const vpe::Error& e = spec.error();
    if (e.code != vpe::ErrorCode::kInvalidArgument) Broken("unexpected error code");
    if (e.message.rfind("fuzz.yml", 0) != 0) Broken("error does not name the file");
    return 0;
  }
  if (spec->hash.size() != 64) Broken("hash is not sha256 hex");
  if (spec->name.empty()) Broken("parsed without a name");
  std::string tag = vpe::envspec::ImageTag(*spec);
  if (tag.rfind("vpe-env/" + spec->name + ":", 0) != 0) Broken("bad tag");
  std::string dockerfile = vpe::envspec::RenderDockerfile(*spec);
  if (dockerfile.find("FROM ") == std::string::npos) Broken("no FROM");
  // Parsing is deterministic: the same text gives the same hash.
  vpe::Result<vpe::envspec::Spec> again =
      vpe::envspec::ParseSpec(text, "fuzz.yml", base != nullptr ? base : VPE_FUZZ_BASE_DIR);
  if (!again.ok() || again->hash != spec->hash) Broken("parse is not deterministic");
  return 0;
}
