#pragma once
// A fake docker::Engine for image manager tests: images in a map, builds that can be held at a
// gate, and counters of what was called. Everything else answers "not implemented".

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "docker_api/engine.h"

namespace vpe::orch::testing {

class FakeEngine : public docker::Engine {
 public:
  // Builds wait here until OpenGate() when HoldBuilds() was called.
  void HoldBuilds() {
    std::lock_guard<std::mutex> lock(mu_);
    gate_open_ = false;
  }
  void OpenGate() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      gate_open_ = true;
    }
    cv_.notify_all();
  }
  // The next builds fail in-band at step 2 with `message` after printing `output`.
  void FailBuilds(std::string message, std::vector<std::string> output) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_message_ = std::move(message);
    fail_output_ = std::move(output);
  }
  void AddImage(const std::string& tag, const docker::Labels& labels, int64_t created,
                const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    Image& img = images_[id];
    img.id = id;
    img.labels = labels;
    img.created = created;
    if (!tag.empty()) img.tags.push_back(tag);
  }
  void AddContainer(const std::string& image) {
    std::lock_guard<std::mutex> lock(mu_);
    containers_.push_back(image);
  }
  bool HasImage(const std::string& ref) {
    std::lock_guard<std::mutex> lock(mu_);
    return FindLocked(ref) != nullptr;
  }

  std::atomic<int> inspects{0};
  std::atomic<int> builds{0};
  std::atomic<int> removes{0};
  docker::BuildOptions last_build;

  std::string api_version() const override { return "1.41"; }
  Status Ping() override { return OkStatus(); }
  Result<docker::VersionInfo> Version() override { return docker::VersionInfo{}; }
  Result<docker::CreateResult> CreateContainer(const docker::ContainerSpec&) override {
    return No();
  }
  Status StartContainer(const std::string&) override { return No(); }
  Result<std::unique_ptr<docker::PendingWait>> Wait(const std::string&,
                                                    docker::WaitCondition) override {
    return No();
  }
  Status StopContainer(const std::string&, int) override { return No(); }
  Status KillContainer(const std::string&, const std::string&) override { return No(); }
  Status RemoveContainer(const std::string&, bool, bool) override { return No(); }
  Result<docker::ContainerInfo> InspectContainer(const std::string&) override { return No(); }
  Result<std::vector<docker::ContainerSummary>> ListContainers(bool,
                                                               const docker::Filters&) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<docker::ContainerSummary> out;
    for (const std::string& image : containers_) {
      docker::ContainerSummary c;
      c.image = image;
      out.push_back(c);
    }
    return out;
  }
  Status Logs(const std::string&, const docker::LogOptions&, const docker::LogSink&,
              const std::shared_ptr<docker::CancelToken>&) override {
    return No();
  }
  Result<std::vector<docker::ArchiveEntry>> GetArchive(const std::string&, const std::string&,
                                                       int64_t) override {
    return No();
  }
  Status PutArchive(const std::string&, const std::string&, const std::string&) override {
    return No();
  }

  Result<docker::ImageInfo> InspectImage(const std::string& ref) override {
    ++inspects;
    std::lock_guard<std::mutex> lock(mu_);
    const Image* img = FindLocked(ref);
    if (img == nullptr) return Error(ErrorCode::kNotFound, "No such image: " + ref, 404);
    docker::ImageInfo info;
    info.id = img->id;
    info.repo_tags = img->tags;
    info.labels = img->labels;
    return info;
  }
  Result<std::vector<docker::ImageSummary>> ListImages(const docker::Filters& filters) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<docker::ImageSummary> out;
    for (const auto& [id, img] : images_) {
      bool match = true;
      auto it = filters.find("label");
      if (it != filters.end()) {
        for (const std::string& kv : it->second) {
          size_t eq = kv.find('=');
          auto l = img.labels.find(kv.substr(0, eq));
          if (l == img.labels.end() || l->second != kv.substr(eq + 1)) match = false;
        }
      }
      if (!match) continue;
      docker::ImageSummary s;
      s.id = id;
      s.repo_tags = img.tags;
      s.labels = img.labels;
      s.created = img.created;
      out.push_back(s);
    }
    return out;
  }
  Status RemoveImage(const std::string& ref, bool) override {
    ++removes;
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& c : containers_) {
      Image* img = FindLocked(ref);
      if (img != nullptr && (c == img->id || c == ref)) {
        return Error(ErrorCode::kEngine, "image is being used by a container", 409);
      }
    }
    for (auto& [id, img] : images_) {
      if (id == ref) {
        images_.erase(id);
        return OkStatus();
      }
      for (auto t = img.tags.begin(); t != img.tags.end(); ++t) {
        if (*t == ref) {
          img.tags.erase(t);
          if (img.tags.empty()) images_.erase(id);
          return OkStatus();
        }
      }
    }
    return Error(ErrorCode::kNotFound, "No such image: " + ref, 404);
  }
  Status TagImage(const std::string&, const std::string&, const std::string&) override {
    return No();
  }
  Result<std::string> BuildImage(const std::string&, const docker::BuildOptions& options,
                                 const docker::BuildSink& sink,
                                 const std::shared_ptr<docker::CancelToken>&) override {
    int n = ++builds;
    std::string fail;
    std::vector<std::string> fail_output;
    {
      std::unique_lock<std::mutex> lock(mu_);
      last_build = options;
      cv_.wait(lock, [&] { return gate_open_; });
      fail = fail_message_;
      fail_output = fail_output_;
    }
    auto emit = [&](const std::string& text) {
      docker::BuildProgress p;
      p.stream = text;
      sink(p);
    };
    emit("Step 1/3 : FROM vpe/debian:bookworm\n");
    emit(" ---> 9e36dbc4e832\nStep 2/3 : RUN apt-get upd");  // split mid-line on purpose
    emit("ate\n");
    if (!fail.empty()) {
      std::string msg = "build failed at Step 2/3 : RUN apt-get update: " + fail;
      msg += "\nlast output:";
      for (const std::string& l : fail_output) {
        emit(l + "\n");
        msg += "\n  " + l;
      }
      return Error(ErrorCode::kEngine, msg);
    }
    emit("Get:1 http://deb.debian.org/debian bookworm InRelease\n");
    emit("Step 3/3 : USER 65534:65534\n");
    std::string id = "sha256:built" + std::to_string(n);
    AddImage(options.tags.empty() ? "" : options.tags[0], options.labels, 1000 + n, id);
    return id;
  }
  Status CreateVolume(const std::string&, const docker::Labels&) override { return No(); }
  Status RemoveVolume(const std::string&, bool) override { return No(); }
  Status Events(const docker::Filters&, const docker::EventSink&,
                const std::shared_ptr<docker::CancelToken>&, int64_t) override {
    return No();
  }

 private:
  struct Image {
    std::string id;
    std::vector<std::string> tags;
    docker::Labels labels;
    int64_t created = 0;
  };
  static Error No() { return Error(ErrorCode::kInternal, "not implemented by FakeEngine"); }
  Image* FindLocked(const std::string& ref) {
    for (auto& [id, img] : images_) {
      if (id == ref) return &img;
      for (const std::string& t : img.tags) {
        if (t == ref) return &img;
      }
    }
    return nullptr;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool gate_open_ = true;
  std::string fail_message_;
  std::vector<std::string> fail_output_;
  std::map<std::string, Image> images_;
  std::vector<std::string> containers_;
};

}  // namespace vpe::orch::testing
