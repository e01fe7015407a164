#include "orchestrator/env_catalog.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace vpe::orch {
namespace fs = std::filesystem;

Result<EnvCatalog> EnvCatalog::Load(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return Error(ErrorCode::kNotFound, "specs directory " + dir + " does not exist");
  }
  std::vector<std::string> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string ext = it->path().extension().string();
    if ((ext == ".yml" || ext == ".yaml") && it->is_regular_file()) {
      files.push_back(it->path().string());
    }
  }
  if (ec)
    return Error(ErrorCode::kInternal, "cannot list specs directory " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  EnvCatalog catalog;
  catalog.dir_ = dir;
  std::string errors;
  for (const std::string& file : files) {
    Result<envspec::Spec> spec = envspec::ParseSpecFile(file);
    if (!spec.ok()) {
      errors += (errors.empty() ? "" : "\n") + spec.error().message;
      continue;
    }
    auto [it, inserted] = catalog.specs_.emplace(spec->name, spec.value());
    if (!inserted) {
      errors += (errors.empty() ? "" : "\n") + std::string("duplicate environment name '") +
                spec->name + "': defined in " + it->second.source_path + " and " + file;
    }
  }
  if (!errors.empty()) return Error(ErrorCode::kInvalidArgument, errors);
  return catalog;
}

const envspec::Spec* EnvCatalog::Find(const std::string& name) const {
  auto it = specs_.find(name);
  return it == specs_.end() ? nullptr : &it->second;
}

Result<const envspec::Spec*> EnvCatalog::Get(const std::string& name) const {
  if (const envspec::Spec* spec = Find(name)) return spec;
  std::string known;
  for (const auto& [n, s] : specs_) known += (known.empty() ? "" : ", ") + n;
  return Error(ErrorCode::kNotFound,
               "no environment named '" + name + "' in " + dir_ +
                   (known.empty() ? " (it has none)" : " (known: " + known + ")"));
}

std::vector<std::string> EnvCatalog::Names() const {
  std::vector<std::string> names;
  for (const auto& [n, s] : specs_) names.push_back(n);
  return names;
}

}  // namespace vpe::orch
