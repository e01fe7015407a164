#pragma once
// The Docker Engine API as vped needs it: an abstract Engine (so the orchestrator's logic can be
// unit-tested with a fake) with typed requests and responses. The real implementation is
// docker_api/client.h (cpp-httplib over a Unix socket, or TCP with TLS).
//
// Errors: a non-2xx answer is ErrorCode::kEngine (or kNotFound for 404, kAlreadyExists for 409 on
// create) with Error::http_status set and the engine's "message" in the text. A transport failure
// (socket gone, connection refused or reset, also mid-stream) is ErrorCode::kUnavailable, so a
// caller can tell "engine unavailable" from "container exited". Every call has a timeout except
// waits, follows, builds and event streams.
//
// Thread-safety: every method may be called from any thread concurrently; each call uses its own
// connection.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace vpe::docker {

using Labels = std::map<std::string, std::string>;
// Engine list filters, e.g. {"label": {"io.vpe.managed=true"}}; sent as JSON in `filters=`.
using Filters = std::map<std::string, std::vector<std::string>>;

// Cancels a streaming call (logs follow, wait, build, events) from another thread: the call's
// connection is closed and the call returns ErrorCode::kCancelled. Safe to share and to cancel
// more than once; a callback registered after Cancel() runs at once.
class CancelToken {
 public:
  void Cancel();
  bool cancelled() const { return cancelled_.load(); }
  // Registers `fn` to run on Cancel(); returns an id for Unregister.
  int Register(std::function<void()> fn);
  void Unregister(int id);

 private:
  std::atomic<bool> cancelled_{false};
  std::mutex mu_;
  int next_id_ = 0;
  std::map<int, std::function<void()>> callbacks_;
};

struct Mount {
  std::string type = "volume";  // volume | tmpfs | bind
  std::string source;           // volume name (empty: anonymous) or host path for bind
  std::string target;
  bool read_only = false;
  int64_t tmpfs_size_bytes = 0;
  int tmpfs_mode = 0;  // 0: engine default
};

struct HostConfig {
  int64_t memory_bytes = 0;       // 0: unlimited
  int64_t memory_swap_bytes = 0;  // == memory_bytes disables swap
  int64_t nano_cpus = 0;
  int64_t pids_limit = 0;
  std::vector<std::string> cap_drop;
  std::vector<std::string> cap_add;
  std::vector<std::string> security_opt;
  bool readonly_rootfs = false;
  Labels tmpfs;  // path -> mount options, e.g. {"/tmp", "rw,noexec,nosuid,size=64m"}
  std::string network_mode;
  bool init = false;
  bool privileged = false;
  std::vector<Mount> mounts;
  std::string log_driver;  // e.g. json-file
  Labels log_opts;         // e.g. {"max-size","10m"}
  bool auto_remove = false;
};

struct ContainerSpec {
  std::string name;  // empty: engine-chosen
  std::string image;
  std::vector<std::string> cmd;
  std::optional<std::vector<std::string>> entrypoint;
  std::vector<std::string> env;  // "KEY=VALUE"
  std::string working_dir;
  std::string user;
  Labels labels;
  bool tty = false;
  std::vector<std::string> volumes;  // anonymous volume paths ("Volumes" in the API)
  std::string stop_signal;
  std::optional<int> stop_timeout_seconds;
  HostConfig host;
};

struct CreateResult {
  std::string id;
  std::vector<std::string> warnings;  // non-empty: a setting was dropped; callers fail closed
};

struct ContainerState {
  std::string status;  // created | running | paused | restarting | removing | exited | dead
  bool running = false;
  bool oom_killed = false;
  bool dead = false;
  int64_t exit_code = 0;
  int64_t pid = 0;
  std::string error;
  std::string started_at;  // RFC 3339, "0001-01-01T00:00:00Z" when never started
  std::string finished_at;
};

struct ContainerInfo {
  std::string id;
  std::string name;
  std::string image;  // image id
  ContainerState state;
  Labels labels;
  nlohmann::json raw;  // the whole inspect document (HostConfig, Config, Mounts, ...)
};

struct ContainerSummary {
  std::string id;
  std::vector<std::string> names;
  std::string image;
  std::string state;   // running | exited | created ...
  std::string status;  // human text
  Labels labels;
  int64_t created = 0;
};

enum class WaitCondition { kNotRunning, kNextExit, kRemoved };

struct WaitResult {
  int64_t status_code = 0;
  std::string error;  // engine-reported wait error, if any
};

// A wait that the engine has accepted. Obtained from Engine::Wait, which returns only once the
// engine has registered the wait, so a container started afterwards cannot exit unseen.
class PendingWait {
 public:
  virtual ~PendingWait() = default;
  // Blocks until the condition holds, the wait is cancelled or the transport fails.
  virtual Result<WaitResult> Get() = 0;
  // Abandons the wait (closes its connection); Get() then returns kCancelled.
  virtual void Cancel() = 0;
};

enum class StreamKind { kStdin = 0, kStdout = 1, kStderr = 2 };

struct LogOptions {
  bool follow = false;
  bool stdout_stream = true;
  bool stderr_stream = true;
  bool timestamps = false;
  int64_t since_unix = 0;  // 0: from the start
  std::string tail = "all";
  bool tty = false;  // the container has a TTY: raw stream, reported as kStdout
};

// Receives decoded log data in order. Called on the calling thread; the reader does not read
// more from the socket until the sink returns, so a slow sink slows the engine, not our memory.
// Return false to stop reading (the call then returns OK).
using LogSink = std::function<bool(StreamKind stream, std::string_view data)>;

struct ArchiveEntry {
  std::string path;  // relative path inside the tar
  int mode = 0644;
  bool is_dir = false;
  std::string content;
};

struct ImageInfo {
  std::string id;
  std::vector<std::string> repo_tags;
  Labels labels;
  std::string created;
  int64_t size = 0;
  nlohmann::json raw;
};

struct ImageSummary {
  std::string id;
  std::vector<std::string> repo_tags;
  Labels labels;
  int64_t created = 0;
  int64_t size = 0;
};

struct BuildOptions {
  std::vector<std::string> tags;  // "repo:tag"
  Labels labels;
  std::string dockerfile = "Dockerfile";
  bool no_cache = false;
  bool pull = false;
  bool remove_intermediate = true;  // rm + forcerm
  std::string network_mode;         // empty: engine default (bridge)
  Labels build_args;
};

// One JSON line of build progress.
struct BuildProgress {
  std::string stream;  // text output, e.g. "Step 2/5 : RUN apt-get ..."
  std::string status;
  std::string error;   // in-band error: the build failed
  std::string aux_id;  // image id announced in "aux"
  nlohmann::json raw;
};
// Return false to cancel the build (the connection is closed).
using BuildSink = std::function<bool(const BuildProgress&)>;

struct Event {
  std::string type;    // container | image | volume | network ...
  std::string action;  // create | start | die | destroy | build? ...
  std::string id;
  Labels attributes;
  int64_t time_nano = 0;
  nlohmann::json raw;
};
// Return false to stop the subscription.
using EventSink = std::function<bool(const Event&)>;

struct VersionInfo {
  std::string version;      // engine version, e.g. 20.10.24
  std::string api_version;  // the engine's highest API version
  std::string min_api_version;
  std::string os;
  std::string arch;
};

class Engine {
 public:
  virtual ~Engine() = default;

  // The API version negotiated at connect ("1.41"...).
  virtual std::string api_version() const = 0;
  virtual Status Ping() = 0;
  virtual Result<VersionInfo> Version() = 0;

  // Containers.
  virtual Result<CreateResult> CreateContainer(const ContainerSpec& spec) = 0;
  virtual Status StartContainer(const std::string& id) = 0;
  // Registers a wait and returns once the engine has accepted it (response headers received).
  virtual Result<std::unique_ptr<PendingWait>> Wait(const std::string& id,
                                                    WaitCondition condition) = 0;
  virtual Status StopContainer(const std::string& id, int timeout_seconds) = 0;
  virtual Status KillContainer(const std::string& id, const std::string& signal = "SIGKILL") = 0;
  // 404 and "removal already in progress" count as success.
  virtual Status RemoveContainer(const std::string& id, bool force = true, bool volumes = true) = 0;
  virtual Result<ContainerInfo> InspectContainer(const std::string& id) = 0;
  virtual Result<std::vector<ContainerSummary>> ListContainers(bool all,
                                                               const Filters& filters) = 0;

  // Logs: blocks until the stream ends (non-follow, or the container stopped), the sink returns
  // false, `cancel` fires (kCancelled) or the transport fails (kUnavailable).
  virtual Status Logs(const std::string& id, const LogOptions& options, const LogSink& sink,
                      const std::shared_ptr<CancelToken>& cancel = nullptr) = 0;

  // Attaches to a container's stdout and stderr, normally before it starts: `on_attached` runs
  // once the engine accepted the attach, then output reaches `sink` live until the container
  // stops, the sink returns false, or `cancel` fires. Unlike a logs follow, no log driver sits in
  // between, so its file rotation cannot drop or repeat output. The default implementation
  // reports kFailedPrecondition (callers then follow the logs instead).
  virtual Status Attach(const std::string& id, bool tty, const LogSink& sink,
                        const std::function<void()>& on_attached,
                        const std::shared_ptr<CancelToken>& cancel = nullptr) {
    (void)id, (void)tty, (void)sink, (void)on_attached, (void)cancel;
    return Error(ErrorCode::kFailedPrecondition, "attach is not supported by this engine");
  }

  // Archive: reads `path` out of a container as tar entries; fails with kResourceExhausted when
  // the tar is larger than max_bytes.
  virtual Result<std::vector<ArchiveEntry>> GetArchive(const std::string& id,
                                                       const std::string& path,
                                                       int64_t max_bytes) = 0;
  // Extracts `tar` into directory `dest_dir` of the container.
  virtual Status PutArchive(const std::string& id, const std::string& dest_dir,
                            const std::string& tar) = 0;

  // Images.
  virtual Result<ImageInfo> InspectImage(const std::string& ref) = 0;
  virtual Result<std::vector<ImageSummary>> ListImages(const Filters& filters) = 0;
  virtual Status RemoveImage(const std::string& ref, bool force = false) = 0;
  virtual Status TagImage(const std::string& source, const std::string& repo,
                          const std::string& tag) = 0;
  // Builds from a tar context with the classic builder, streaming progress to `sink`. Returns the
  // image id. An in-band build error becomes an Error naming the failing step and carrying the
  // last output lines.
  virtual Result<std::string> BuildImage(const std::string& context_tar,
                                         const BuildOptions& options, const BuildSink& sink,
                                         const std::shared_ptr<CancelToken>& cancel = nullptr) = 0;

  // Volumes.
  virtual Status CreateVolume(const std::string& name, const Labels& labels) = 0;
  virtual Status RemoveVolume(const std::string& name, bool force = false) = 0;

  // Events: blocks delivering events until the sink returns false, `cancel` fires or the
  // transport fails. `since_unix` 0 means from now.
  virtual Status Events(const Filters& filters, const EventSink& sink,
                        const std::shared_ptr<CancelToken>& cancel = nullptr,
                        int64_t since_unix = 0) = 0;
};

}  // namespace vpe::docker
