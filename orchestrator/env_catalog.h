#pragma once
// The environments of a specs directory: every *.yml / *.yaml file directly in it, parsed and
// validated, looked up by name. Environment names must be unique across the directory.
//
// Thread-safety: immutable after Load; concurrent reads are safe.

#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "env_specs/spec.h"

namespace vpe::orch {

class EnvCatalog {
 public:
  EnvCatalog() = default;

  // Parses every spec file of `dir`. Fails with every invalid file's error (one per line), or
  // with "duplicate environment name 'x': defined in a.yml and b.yml".
  static Result<EnvCatalog> Load(const std::string& dir);

  // The spec named `name`, or nullptr.
  const envspec::Spec* Find(const std::string& name) const;
  // The spec named `name`, or kNotFound listing the known names.
  Result<const envspec::Spec*> Get(const std::string& name) const;

  // Names in sorted order.
  std::vector<std::string> Names() const;
  const std::map<std::string, envspec::Spec>& specs() const { return specs_; }
  const std::string& dir() const { return dir_; }
  bool empty() const { return specs_.empty(); }

 private:
  std::string dir_;
  std::map<std::string, envspec::Spec> specs_;
};

}  // namespace vpe::orch
