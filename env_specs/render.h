#pragma once
// Turns a Spec into what the engine builds: a Dockerfile for the classic builder, the tar build
// context (made with libarchive through common/tar.h) and the labels every vpe image carries.

#include <map>
#include <string>

#include "common/result.h"
#include "env_specs/spec.h"

namespace vpe::envspec {

struct BuildContext {
  std::string tag;                            // ImageTag(spec)
  std::string dockerfile;                     // also the "Dockerfile" entry of `tar`
  std::string tar;                            // the whole context
  std::map<std::string, std::string> labels;  // io.vpe.* labels to set on the image
};

// The Dockerfile. Rarely changing steps come first so the layer cache survives edits to the
// pipeline's files: apt, pip, files, setup, the result directory, env, workdir, user.
std::string RenderDockerfile(const Spec& spec);

// io.vpe.managed, io.vpe.env, io.vpe.spec-hash, io.vpe.builder-version, io.vpe.spec.
std::map<std::string, std::string> ImageLabels(const Spec& spec);

// Dockerfile, context tar and labels. Fails only when the tar cannot be written.
Result<BuildContext> RenderBuildContext(const Spec& spec);

}  // namespace vpe::envspec
