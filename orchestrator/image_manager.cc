#include "orchestrator/image_manager.h"

#include <algorithm>
#include <condition_variable>
#include <optional>
#include <regex>
#include <utility>

#include "env_specs/render.h"

namespace vpe::orch {

// One Ensure in progress for a tag, shared by everyone who asks meanwhile.
struct ImageManager::Flight {
  explicit Flight(bool f) : force(f) {}
  const bool force;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::optional<Result<EnsureResult>> result;
  std::vector<ProgressCallback> subscribers;
  size_t callers = 1;

  void Publish(const BuildEvent& event) {
    std::vector<ProgressCallback> subs;
    {
      std::lock_guard<std::mutex> lock(mu);
      subs = subscribers;
    }
    for (const ProgressCallback& cb : subs) cb(event);
  }
};

namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds Since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// Splits the builder's stream text into lines and turns "Step N/M : X" into step events.
class ProgressParser {
 public:
  ProgressParser(std::string env, std::function<void(const BuildEvent&)> emit)
      : env_(std::move(env)), emit_(std::move(emit)) {}

  void Add(const docker::BuildProgress& p) {
    pending_ += p.stream;
    size_t nl;
    while ((nl = pending_.find('\n')) != std::string::npos) {
      Line(pending_.substr(0, nl));
      pending_.erase(0, nl + 1);
    }
    if (!p.status.empty()) Line(p.status);
  }

 private:
  void Line(std::string line) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty()) return;
    static const std::regex step_re("Step ([0-9]+)/([0-9]+) : (.*)");
    std::smatch m;
    BuildEvent e;
    e.env = env_;
    if (line.size() < 4096 && std::regex_match(line, m, step_re)) {
      e.kind = BuildEvent::Kind::kStep;
      step_ = std::stoi(m[1].str());
      total_ = std::stoi(m[2].str());
      e.text = m[3].str();
    } else {
      e.kind = BuildEvent::Kind::kOutput;
      e.text = std::move(line);
    }
    e.step = step_;
    e.total_steps = total_;
    emit_(e);
  }

  std::string env_;
  std::function<void(const BuildEvent&)> emit_;
  std::string pending_;
  int step_ = 0;
  int total_ = 0;
};

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

ImageManager::ImageManager(docker::Engine& engine, ImageManagerOptions options)
    : engine_(engine), options_(std::move(options)) {}

Result<EnsureResult> ImageManager::Ensure(const envspec::Spec& spec,
                                          const ProgressCallback& progress, bool force) {
  const std::string tag = envspec::ImageTag(spec);
  auto start = Clock::now();
  while (true) {
    std::shared_ptr<Flight> flight;
    bool leader = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = flights_.find(tag);
      if (it == flights_.end()) {
        flight = std::make_shared<Flight>(force);
        flights_.emplace(tag, flight);
        leader = true;
      } else {
        flight = it->second;
      }
      std::lock_guard<std::mutex> flock(flight->mu);
      if (leader) {
        if (progress) flight->subscribers.push_back(progress);
      } else if (!force || flight->force) {
        ++flight->callers;
        if (progress) flight->subscribers.push_back(progress);
      }
    }
    if (leader) {
      Result<EnsureResult> result = Run(spec, tag, force, flight);
      {
        std::lock_guard<std::mutex> lock(mu_);
        flights_.erase(tag);
      }
      {
        std::lock_guard<std::mutex> flock(flight->mu);
        flight->done = true;
        flight->result = result;
      }
      flight->cv.notify_all();
      if (result.ok()) result->elapsed = Since(start);
      return result;
    }
    std::unique_lock<std::mutex> flock(flight->mu);
    flight->cv.wait(flock, [&] { return flight->done; });
    // A forced Ensure must not be satisfied by a plain one that found the image: go again.
    if (force && !flight->force) continue;
    Result<EnsureResult> result = *flight->result;
    if (result.ok()) {
      result->shared = true;
      result->elapsed = Since(start);
    }
    return result;
  }
}

Result<EnsureResult> ImageManager::Run(const envspec::Spec& spec, const std::string& tag,
                                       bool force, const std::shared_ptr<Flight>& flight) {
  const std::string context = "environment " + spec.name + " (" + tag + ")";
  if (!force) {
    Result<docker::ImageInfo> info = engine_.InspectImage(tag);
    if (info.ok()) {
      auto it = info->labels.find(envspec::kLabelSpecHash);
      // Same tag, other inputs (a hand-made image under our name): rebuild over it.
      if (it != info->labels.end() && it->second == spec.hash) {
        EnsureResult r;
        r.image = tag;
        r.image_id = info->id;
        return r;
      }
    } else if (info.error().code != ErrorCode::kNotFound) {
      return info.error().WithContext("inspecting the image of " + context);
    }
  }
  Result<envspec::BuildContext> ctx = envspec::RenderBuildContext(spec);
  if (!ctx.ok()) return ctx.error().WithContext("building " + context);
  docker::BuildOptions opts;
  opts.tags = {tag};
  opts.labels = docker::Labels(ctx->labels.begin(), ctx->labels.end());
  opts.pull = false;  // no registry: the base must be local
  opts.remove_intermediate = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++builds_started_;
  }
  ProgressParser parser(spec.name, [&](const BuildEvent& e) { flight->Publish(e); });
  Result<std::string> id = engine_.BuildImage(ctx->tar, opts, [&](const docker::BuildProgress& p) {
    parser.Add(p);
    return true;
  });
  if (!id.ok()) return id.error().WithContext("building " + context);
  EnsureResult r;
  r.image = tag;
  r.image_id = id.value();
  r.built = true;
  return r;
}

Result<std::vector<docker::ImageSummary>> ImageManager::ListImages(const std::string& env_name) {
  docker::Filters filters = {{"label",
                              {std::string(envspec::kLabelManaged) + "=true",
                               std::string(envspec::kLabelEnv) + "=" + env_name}}};
  Result<std::vector<docker::ImageSummary>> images = engine_.ListImages(filters);
  if (!images.ok()) return images.error().WithContext("listing images of " + env_name);
  std::sort(images->begin(), images->end(),
            [](const docker::ImageSummary& a, const docker::ImageSummary& b) {
              return a.created != b.created ? a.created > b.created : a.id > b.id;
            });
  return images;
}

Result<std::set<std::string>> ImageManager::InUse(const std::set<std::string>& extra) {
  std::set<std::string> in_use = extra;
  if (options_.in_use) {
    std::set<std::string> more = options_.in_use();
    in_use.insert(more.begin(), more.end());
  }
  Result<std::vector<docker::ContainerSummary>> containers = engine_.ListContainers(true, {});
  if (!containers.ok()) return containers.error().WithContext("listing containers");
  for (const docker::ContainerSummary& c : *containers) in_use.insert(c.image);
  return in_use;
}

Result<GcResult> ImageManager::CollectGarbage(const std::string& env_name, size_t keep,
                                              const std::set<std::string>& in_use_refs) {
  Result<std::vector<docker::ImageSummary>> images = ListImages(env_name);
  if (!images.ok()) return images.error();
  Result<std::set<std::string>> in_use = InUse(in_use_refs);
  if (!in_use.ok()) return in_use.error().WithContext("collecting images of " + env_name);
  const std::string repo = envspec::ImageRepository(env_name) + ":";
  GcResult result;
  for (size_t i = keep; i < images->size(); ++i) {
    const docker::ImageSummary& image = (*images)[i];
    bool used = in_use->count(image.id) > 0;
    for (const std::string& t : image.repo_tags) used = used || in_use->count(t) > 0;
    std::vector<std::string> ours;
    for (const std::string& t : image.repo_tags) {
      if (StartsWith(t, repo)) ours.push_back(t);
    }
    std::string name = ours.empty() ? image.id : ours.front();
    if (used) {
      result.kept_in_use.push_back(name);
      continue;
    }
    // Untagging removes the image once no tag is left; an image tagged only by others stays.
    std::vector<std::string> refs = ours.empty() ? std::vector<std::string>{image.id} : ours;
    for (const std::string& ref : refs) {
      Status st = engine_.RemoveImage(ref, false);
      if (!st.ok()) {
        if (st.error().code == ErrorCode::kNotFound) continue;
        // 409: a container (perhaps created a moment ago) still uses it.
        if (st.error().http_status == 409) {
          result.kept_in_use.push_back(ref);
          continue;
        }
        return st.error().WithContext("removing image " + ref + " of " + env_name);
      }
      result.removed.push_back(ref);
    }
  }
  return result;
}

size_t ImageManager::callers(const std::string& tag) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = flights_.find(tag);
  if (it == flights_.end()) return 0;
  std::lock_guard<std::mutex> flock(it->second->mu);
  return it->second->callers;
}

int ImageManager::builds_started() const {
  std::lock_guard<std::mutex> lock(mu_);
  return builds_started_;
}

}  // namespace vpe::orch
