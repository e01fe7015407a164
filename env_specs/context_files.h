#pragma once
// Resolves the `files:` entries of a spec into build-context entries, reading their bytes and
// modes. Sources must stay inside the spec's directory: absolute paths, `..` and symlinks that
// lead outside are refused.

#include <string>
#include <vector>

#include "common/result.h"
#include "env_specs/spec.h"

namespace vpe::envspec {

// Upper bound on the bytes all `files` of one spec may copy.
inline constexpr int64_t kMaxContextBytes = 512LL << 20;

// Appends the entries for `src` (a file or a directory, relative to base_dir) as
// files/<index>/... to *out, sorted by path, and sets *context_path to where src sits in the
// context ("files/<index>/" for a directory, "files/<index>/<name>" for a file). Returns why the
// source was refused ("must stay inside the spec's directory, got '../x'"), empty on success;
// the caller adds file, line and key.
std::string CollectContextFiles(const std::string& base_dir, const std::string& src, int index,
                                int64_t* total_bytes, std::vector<ContextFile>* out,
                                std::string* context_path);

}  // namespace vpe::envspec
