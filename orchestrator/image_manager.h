#pragma once
// Makes sure the image of an environment exists: one inspect when the tagged image is there,
// otherwise one build (classic builder, streamed progress) no matter how many callers ask at
// once. Also removes old images of an environment.
//
// Thread-safety: every method may be called from any thread. Ensure blocks its caller for the
// duration of the build; callers asking for the same tag meanwhile wait for that one build and
// receive its result (success or the same error). Progress callbacks run on the building thread
// and must not call back into the ImageManager.

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "docker_api/engine.h"
#include "env_specs/spec.h"

namespace vpe::orch {

// One piece of build progress.
struct BuildEvent {
  enum class Kind {
    kStep,    // a new Dockerfile step started: step/total_steps and text ("RUN apt-get ...")
    kOutput,  // a line the current step printed
  };
  Kind kind = Kind::kOutput;
  std::string env;  // environment name
  int step = 0;
  int total_steps = 0;
  std::string text;
};
using ProgressCallback = std::function<void(const BuildEvent&)>;

struct EnsureResult {
  std::string image;     // the tag, vpe-env/<name>:<12 hex>
  std::string image_id;  // sha256:...
  bool built = false;    // false: the image was already there (cache hit, nothing built)
  bool shared = false;   // this caller waited for another caller's Ensure of the same tag
  std::chrono::milliseconds elapsed{0};
};

struct GcResult {
  std::vector<std::string> removed;      // tags (or ids of untagged images) removed
  std::vector<std::string> kept_in_use;  // old images kept because something uses them
};

struct ImageManagerOptions {
  // Image refs (tags or ids) that must never be removed, e.g. the images of queued and running
  // tasks. Asked on every garbage collection, in addition to images of existing containers.
  std::function<std::set<std::string>()> in_use;
};

class ImageManager {
 public:
  // `engine` must outlive the manager.
  explicit ImageManager(docker::Engine& engine, ImageManagerOptions options = {});

  // Returns the image for `spec`, building it when the tag is missing (or always with `force`).
  // A failed build is an error naming the environment, the failing step and its last output.
  Result<EnsureResult> Ensure(const envspec::Spec& spec, const ProgressCallback& progress = nullptr,
                              bool force = false);

  // The images vpe built for `env_name` (label io.vpe.env), newest first.
  Result<std::vector<docker::ImageSummary>> ListImages(const std::string& env_name);

  // Removes images of `env_name` beyond the newest `keep`, never one that is in use (`in_use`,
  // the options' in_use callback, or the image of any existing container).
  Result<GcResult> CollectGarbage(const std::string& env_name, size_t keep,
                                  const std::set<std::string>& in_use = {});

  // How many callers are currently inside Ensure for `tag` (the builder and its waiters).
  size_t callers(const std::string& tag) const;
  // Builds started since construction.
  int builds_started() const;

 private:
  struct Flight;

  Result<EnsureResult> Run(const envspec::Spec& spec, const std::string& tag, bool force,
                           const std::shared_ptr<Flight>& flight);
  Result<std::set<std::string>> InUse(const std::set<std::string>& extra);

  docker::Engine& engine_;
  ImageManagerOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Flight>> flights_;  // by tag, while an Ensure runs
  int builds_started_ = 0;
};

}  // namespace vpe::orch
