#pragma once
// The real Engine: the Docker Engine API over cpp-httplib, on a Unix socket or TCP (TLS with
// client certificates when configured). Connect() checks the engine up front: it pings, reads the
// version and refuses engines older than API 1.41, so a bad setup fails at start with one message.
//
// Thread-safety: every method may be called concurrently; each call opens its own connection.
// Calls other than waits, follows, builds and event streams time out after
// ConnectOptions::timeout (a stop adds its grace period).

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "docker_api/connect_options.h"
#include "docker_api/engine.h"

namespace vpe::docker {

class Transport;
struct HttpRequest;

class Client : public Engine {
 public:
  static Result<std::unique_ptr<Client>> Connect(const ConnectOptions& options = {});
  ~Client() override;

  // The engine as seen at connect time.
  const VersionInfo& engine_version() const { return version_; }
  const Endpoint& endpoint() const;

  std::string api_version() const override { return api_version_; }
  Status Ping() override;
  Result<VersionInfo> Version() override;

  Result<CreateResult> CreateContainer(const ContainerSpec& spec) override;
  Status StartContainer(const std::string& id) override;
  Result<std::unique_ptr<PendingWait>> Wait(const std::string& id,
                                            WaitCondition condition) override;
  Status StopContainer(const std::string& id, int timeout_seconds) override;
  Status KillContainer(const std::string& id, const std::string& signal = "SIGKILL") override;
  Status RemoveContainer(const std::string& id, bool force = true, bool volumes = true) override;
  Result<ContainerInfo> InspectContainer(const std::string& id) override;
  Result<std::vector<ContainerSummary>> ListContainers(bool all, const Filters& filters) override;

  Status Attach(const std::string& id, bool tty, const LogSink& sink,
                const std::function<void()>& on_attached,
                const std::shared_ptr<CancelToken>& cancel = nullptr) override;
  Status Logs(const std::string& id, const LogOptions& options, const LogSink& sink,
              const std::shared_ptr<CancelToken>& cancel = nullptr) override;

  Result<std::vector<ArchiveEntry>> GetArchive(const std::string& id, const std::string& path,
                                               int64_t max_bytes) override;
  Status PutArchive(const std::string& id, const std::string& dest_dir,
                    const std::string& tar) override;

  Result<ImageInfo> InspectImage(const std::string& ref) override;
  Result<std::vector<ImageSummary>> ListImages(const Filters& filters) override;
  Status RemoveImage(const std::string& ref, bool force = false) override;
  Status TagImage(const std::string& source, const std::string& repo,
                  const std::string& tag) override;
  Result<std::string> BuildImage(const std::string& context_tar, const BuildOptions& options,
                                 const BuildSink& sink,
                                 const std::shared_ptr<CancelToken>& cancel = nullptr) override;

  Status CreateVolume(const std::string& name, const Labels& labels) override;
  Status RemoveVolume(const std::string& name, bool force = false) override;

  Status Events(const Filters& filters, const EventSink& sink,
                const std::shared_ptr<CancelToken>& cancel = nullptr,
                int64_t since_unix = 0) override;

 private:
  Client(std::shared_ptr<Transport> transport, VersionInfo version, std::string api_version);
  // Runs a logs or attach request, decoding its multiplexed (or TTY) stream into `sink`.
  Status ReadOutputStream(HttpRequest r, bool tty, const LogSink& sink);

  std::shared_ptr<Transport> transport_;
  VersionInfo version_;
  std::string api_version_;
};

}  // namespace vpe::docker
