#include "env_specs/render.h"

#include <yaml-cpp/yaml.h>

#include <sstream>
#include <vector>

#include "common/tar.h"

namespace vpe::envspec {
namespace {

// Single-quoted for /bin/sh; validation already keeps quotes out of packages and requirements.
std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// A double-quoted Dockerfile ENV value; `$` is left alone so values may refer to $PATH.
std::string EnvQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

void RenderResultDir(const Spec& spec, std::ostringstream& df) {
  // The task user must be able to write its result; the engine copies it out after exit.
  df << "RUN mkdir -p " << kResultDir << " && chown " << spec.user << " " << kResultDir
     << " && chmod 0755 " << kResultDir << "\n";
  df << "VOLUME " << kResultDir << "\n";
}

// One ENV instruction (one image config step) for all variables, VPE_RESULT last.
void RenderEnv(const std::map<std::string, std::string>& env, std::ostringstream& df) {
  df << "ENV ";
  for (const auto& [k, v] : env) df << k << "=" << EnvQuote(v) << " \\\n    ";
  df << "VPE_RESULT=" << kResultPath << "\n";
}

std::string RenderVpe(const Spec& spec) {
  std::ostringstream df;
  df << "# Rendered by the vpe builder " << kBuilderVersion << " for environment " << spec.name
     << "; do not edit.\n";
  df << "FROM " << spec.base << "\n";
  df << "USER root\n";
  if (!spec.apt.empty()) {
    df << "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "
          "--no-install-recommends";
    for (const std::string& p : spec.apt) df << " " << p;
    df << " && rm -rf /var/lib/apt/lists/*\n";
  }
  if (!spec.pip.empty()) {
    // Debian marks its Python as externally managed; the image is the environment here.
    df << "RUN PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --no-cache-dir "
          "--disable-pip-version-check";
    for (const std::string& p : spec.pip) df << " " << ShellQuote(p);
    df << "\n";
  }
  for (const FileCopy& f : spec.files) df << "COPY " << f.context_path << " " << f.dest << "\n";
  for (const std::string& cmd : spec.setup) df << "RUN " << cmd << "\n";
  RenderResultDir(spec, df);
  RenderEnv(spec.env, df);
  df << "WORKDIR " << spec.workdir << "\n";
  df << "USER " << spec.user << "\n";
  return df.str();
}

// environment.yml regenerated from the parsed spec, so that only hashed inputs reach the image.
std::string CondaEnvironmentYaml(const Spec& spec) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << spec.name;
  out << YAML::Key << "channels" << YAML::Value << YAML::BeginSeq;
  for (const std::string& c : spec.conda.channels) out << c;
  out << YAML::EndSeq;
  out << YAML::Key << "dependencies" << YAML::Value << YAML::BeginSeq;
  for (const std::string& d : spec.conda.dependencies) out << d;
  if (!spec.conda.pip.empty()) {
    out << YAML::BeginMap << YAML::Key << "pip" << YAML::Value << YAML::BeginSeq;
    for (const std::string& p : spec.conda.pip) out << p;
    out << YAML::EndSeq << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::string RenderConda(const Spec& spec) {
  std::ostringstream df;
  df << "# Rendered by the vpe builder " << kBuilderVersion << " for conda environment "
     << spec.name << "; do not edit.\n";
  df << "FROM " << spec.base << "\n";
  df << "USER root\n";
  df << "ENV MAMBA_ROOT_PREFIX=/opt/conda\n";
  df << "COPY environment.yml /tmp/vpe-environment.yml\n";
  df << "RUN micromamba install --yes --name base --file /tmp/vpe-environment.yml"
        " && micromamba clean --all --yes && rm /tmp/vpe-environment.yml\n";
  RenderResultDir(spec, df);
  std::map<std::string, std::string> env = spec.conda.variables;
  env.emplace("PATH", "/opt/conda/bin:$PATH");
  RenderEnv(env, df);
  df << "WORKDIR " << spec.workdir << "\n";
  df << "USER " << spec.user << "\n";
  return df.str();
}

}  // namespace

std::string RenderDockerfile(const Spec& spec) {
  return spec.kind == SpecKind::kConda ? RenderConda(spec) : RenderVpe(spec);
}

std::map<std::string, std::string> ImageLabels(const Spec& spec) {
  return {
      {kLabelManaged, "true"},
      {kLabelEnv, spec.name},
      {kLabelSpecHash, spec.hash},
      {kLabelBuilderVersion, kBuilderVersion},
      {kLabelSpec, NormalizedSpecText(spec)},
  };
}

Result<BuildContext> RenderBuildContext(const Spec& spec) {
  BuildContext ctx;
  ctx.tag = ImageTag(spec);
  ctx.dockerfile = RenderDockerfile(spec);
  ctx.labels = ImageLabels(spec);
  std::vector<TarEntry> entries;
  entries.push_back(TarEntry{"Dockerfile", 0644, false, ctx.dockerfile});
  if (spec.kind == SpecKind::kConda) {
    entries.push_back(TarEntry{"environment.yml", 0644, false, CondaEnvironmentYaml(spec)});
  }
  for (const ContextFile& f : spec.context_files) {
    entries.push_back(TarEntry{f.is_dir ? f.path + "/" : f.path, f.mode, f.is_dir, f.content});
  }
  Result<std::string> tar = WriteTar(entries);
  if (!tar.ok()) return tar.error().WithContext("rendering the build context of " + spec.name);
  ctx.tar = std::move(tar.value());
  return ctx;
}

}  // namespace vpe::envspec
