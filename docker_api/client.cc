#include "docker_api/client.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "common/tar.h"
#include "docker_api/api_version.h"
#include "docker_api/build_log.h"
#include "docker_api/errors.h"
#include "docker_api/json_lines.h"
#include "docker_api/json_mapping.h"
#include "docker_api/log_stream.h"
#include "docker_api/transport.h"
#include "docker_api/url.h"

namespace vpe::docker {
namespace {

using nlohmann::json;

// Room for tar headers and padding on top of a GetArchive content limit.
constexpr int64_t kTarOverhead = 64 * 1024;

std::string ShortId(const std::string& id) { return id.size() > 12 ? id.substr(0, 12) : id; }

std::string ContainerPath(const std::string& id) { return "/containers/" + PathEscape(id); }

HttpRequest Req(std::string method, std::string target, std::string what) {
  HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.what = std::move(what);
  return r;
}

// Performs `req` and returns the parsed JSON of a 2xx answer.
Result<json> CallJson(const Transport& t, const HttpRequest& req,
                      CallKind kind = CallKind::kOther) {
  auto r = t.Do(req);
  if (!r.ok()) return r.error();
  if (!IsSuccess(r->status)) return HttpError(r->status, r->body, req.what, kind);
  auto doc = json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return Error(ErrorCode::kInternal,
                 req.what + ": engine answered " + std::to_string(r->status) +
                     " with a body that is not JSON: " + r->body.substr(0, 200));
  }
  return doc;
}

// Performs `req` and accepts any 2xx (and `also_ok`, e.g. 304) answer.
Status CallStatus(const Transport& t, const HttpRequest& req, int also_ok = 0) {
  auto r = t.Do(req);
  if (!r.ok()) return r.error();
  if (IsSuccess(r->status) || (also_ok != 0 && r->status == also_ok)) return OkStatus();
  return HttpError(r->status, r->body, req.what);
}

// A wait running on its own thread and connection. The engine flushes the response headers once
// the wait is registered; Start() returns at that point.
class HttpPendingWait : public PendingWait {
 public:
  HttpPendingWait(std::shared_ptr<const Transport> transport, HttpRequest request)
      : transport_(std::move(transport)),
        request_(std::move(request)),
        cancel_(std::make_shared<CancelToken>()) {
    request_.cancel = cancel_;
    request_.streaming = true;
  }

  ~HttpPendingWait() override {
    if (thread_.joinable()) {
      cancel_->Cancel();
      thread_.join();
    }
  }

  // Returns once the engine accepted the wait, or the error that prevented it.
  Status Start() {
    std::future<int> headers = headers_.get_future();
    request_.on_headers = [this](int status) { SetHeaders(status); };
    thread_ = std::thread([this] {
      auto r = transport_->Do(request_);
      outcome_.emplace(std::move(r));
      SetHeaders(-1);  // no-op when the headers came
    });
    auto deadline = transport_->endpoint().timeout;
    if (headers.wait_for(deadline) != std::future_status::ready) {
      cancel_->Cancel();
      thread_.join();
      return Error(ErrorCode::kDeadlineExceeded, request_.what +
                                                     ": engine did not accept the wait within " +
                                                     std::to_string(deadline.count()) + " ms");
    }
    int status = headers.get();
    if (status >= 200 && status < 300) return OkStatus();
    thread_.join();
    if (!outcome_->ok()) return outcome_->error();
    return HttpError((*outcome_)->status, (*outcome_)->body, request_.what);
  }

  Result<WaitResult> Get() override {
    std::lock_guard<std::mutex> lock(get_mu_);
    if (thread_.joinable()) thread_.join();
    if (!outcome_.has_value()) {
      return Error(ErrorCode::kInternal, request_.what + ": wait was never started");
    }
    if (!outcome_->ok()) return outcome_->error();
    const HttpResponse& res = outcome_->value();
    if (!IsSuccess(res.status)) return HttpError(res.status, res.body, request_.what);
    auto doc = json::parse(res.body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.is_object()) {
      return Error(ErrorCode::kUnavailable, request_.what + ": wait ended without a result: \"" +
                                                res.body.substr(0, 200) + "\"");
    }
    return ParseWaitResult(doc);
  }

  void Cancel() override { cancel_->Cancel(); }

 private:
  void SetHeaders(int status) {
    std::lock_guard<std::mutex> lock(headers_mu_);
    if (headers_set_) return;
    headers_set_ = true;
    headers_.set_value(status);
  }

  std::shared_ptr<const Transport> transport_;
  HttpRequest request_;
  std::shared_ptr<CancelToken> cancel_;
  std::thread thread_;
  std::mutex headers_mu_;
  bool headers_set_ = false;
  std::promise<int> headers_;
  std::optional<Result<HttpResponse>> outcome_;  // written by thread_, read after join
  std::mutex get_mu_;
};

}  // namespace

Client::Client(std::shared_ptr<Transport> transport, VersionInfo version, std::string api_version)
    : transport_(std::move(transport)),
      version_(std::move(version)),
      api_version_(std::move(api_version)) {}

Client::~Client() = default;

const Endpoint& Client::endpoint() const { return transport_->endpoint(); }

Result<std::unique_ptr<Client>> Client::Connect(const ConnectOptions& options) {
  auto endpoint = ResolveEndpoint(options);
  if (!endpoint.ok()) return endpoint.error();
  auto transport = std::make_shared<Transport>(std::move(endpoint).value());
  const std::string where = "connecting to docker engine at " + transport->endpoint().ToString();

  HttpRequest ping = Req("GET", "/_ping", "ping");
  ping.versioned = false;
  Status pinged = CallStatus(*transport, ping);
  if (!pinged.ok()) return pinged.error().WithContext(where);

  HttpRequest version = Req("GET", "/version", "read engine version");
  version.versioned = false;
  auto doc = CallJson(*transport, version);
  if (!doc.ok()) return doc.error().WithContext(where);
  VersionInfo info = ParseVersion(*doc);
  auto api = NegotiateApiVersion(info.api_version, info.version);
  if (!api.ok()) return api.error().WithContext(where);

  transport->set_api_prefix("/v" + *api);
  spdlog::info("docker engine connected endpoint={} engine_version={} engine_api={} api={}",
               transport->endpoint().ToString(), info.version, info.api_version, *api);
  return std::unique_ptr<Client>(new Client(std::move(transport), std::move(info), *api));
}

Status Client::Ping() {
  HttpRequest r = Req("GET", "/_ping", "ping");
  r.versioned = false;
  return CallStatus(*transport_, r);
}

Result<VersionInfo> Client::Version() {
  auto doc = CallJson(*transport_, Req("GET", "/version", "read engine version"));
  if (!doc.ok()) return doc.error();
  return ParseVersion(*doc);
}

Result<CreateResult> Client::CreateContainer(const ContainerSpec& spec) {
  Query q;
  if (!spec.name.empty()) q.Add("name", spec.name);
  HttpRequest r = Req("POST", "/containers/create" + q.str(),
                      "create container" + (spec.name.empty() ? "" : " " + spec.name) +
                          " from image " + spec.image);
  r.body = ContainerCreateBody(spec).dump();
  r.content_type = "application/json";
  auto doc = CallJson(*transport_, r, CallKind::kCreate);
  if (!doc.ok()) return doc.error();
  CreateResult created = ParseCreateResult(*doc);
  spdlog::debug("docker container created container={} name={} image={} warnings={}",
                ShortId(created.id), spec.name, spec.image, created.warnings.size());
  return created;
}

Status Client::StartContainer(const std::string& id) {
  return CallStatus(*transport_,
                    Req("POST", ContainerPath(id) + "/start", "start container " + ShortId(id)),
                    304);
}

Result<std::unique_ptr<PendingWait>> Client::Wait(const std::string& id, WaitCondition condition) {
  HttpRequest r = Req(
      "POST",
      ContainerPath(id) + "/wait" + Query().Add("condition", WaitConditionName(condition)).str(),
      "wait for container " + ShortId(id));
  auto wait = std::make_unique<HttpPendingWait>(transport_, std::move(r));
  Status started = wait->Start();
  if (!started.ok()) return started.error();
  return std::unique_ptr<PendingWait>(std::move(wait));
}

Status Client::StopContainer(const std::string& id, int timeout_seconds) {
  HttpRequest r = Req("POST", ContainerPath(id) + "/stop" + Query().Add("t", timeout_seconds).str(),
                      "stop container " + ShortId(id));
  r.extra_timeout = std::chrono::seconds(std::max(timeout_seconds, 0));
  return CallStatus(*transport_, r, 304);
}

Status Client::KillContainer(const std::string& id, const std::string& signal) {
  return CallStatus(*transport_,
                    Req("POST", ContainerPath(id) + "/kill" + Query().Add("signal", signal).str(),
                        "kill container " + ShortId(id) + " with " + signal));
}

Status Client::RemoveContainer(const std::string& id, bool force, bool volumes) {
  HttpRequest r =
      Req("DELETE", ContainerPath(id) + Query().Add("force", force).Add("v", volumes).str(),
          "remove container " + ShortId(id));
  auto res = transport_->Do(r);
  if (!res.ok()) return res.error();
  if (IsSuccess(res->status) || res->status == 404) return OkStatus();
  if (IsRemovalInProgress(res->status, res->body)) return OkStatus();
  return HttpError(res->status, res->body, r.what);
}

Result<ContainerInfo> Client::InspectContainer(const std::string& id) {
  auto doc =
      CallJson(*transport_, Req("GET", ContainerPath(id) + "/json", "inspect container " + id));
  if (!doc.ok()) return doc.error();
  return ParseContainerInfo(*doc);
}

Result<std::vector<ContainerSummary>> Client::ListContainers(bool all, const Filters& filters) {
  Query q;
  q.Add("all", all);
  if (!filters.empty()) q.Add("filters", EncodeFilters(filters));
  auto doc = CallJson(*transport_, Req("GET", "/containers/json" + q.str(), "list containers"));
  if (!doc.ok()) return doc.error();
  std::vector<ContainerSummary> out;
  if (doc->is_array()) {
    for (const json& c : *doc) out.push_back(ParseContainerSummary(c));
  }
  return out;
}

Status Client::Logs(const std::string& id, const LogOptions& options, const LogSink& sink,
                    const std::shared_ptr<CancelToken>& cancel) {
  Query q;
  q.Add("follow", options.follow)
      .Add("stdout", options.stdout_stream)
      .Add("stderr", options.stderr_stream)
      .Add("timestamps", options.timestamps)
      .Add("tail", options.tail.empty() ? std::string("all") : options.tail);
  if (options.since_unix > 0) q.Add("since", options.since_unix);
  HttpRequest r =
      Req("GET", ContainerPath(id) + "/logs" + q.str(), "read logs of container " + ShortId(id));
  r.streaming = options.follow;
  r.cancel = cancel;
  return ReadOutputStream(std::move(r), options.tty, sink);
}

Status Client::ReadOutputStream(HttpRequest r, bool tty, const LogSink& sink) {
  LogStreamDecoder decoder(tty);
  Status decoded;
  r.on_data = [&](std::string_view data) {
    decoded = decoder.Feed(data, sink);
    return decoded.ok() && !decoder.stopped();
  };
  auto res = transport_->Do(r);
  if (!res.ok()) return res.error();
  if (!IsSuccess(res->status)) return HttpError(res->status, res->body, r.what);
  if (!decoded.ok()) return decoded.error().WithContext(r.what);
  if (decoder.stopped()) return OkStatus();
  if (!decoder.AtFrameBoundary()) {
    return TransportError(endpoint().ToString(), r.what, "output stream ended mid-frame");
  }
  return OkStatus();
}

Status Client::Attach(const std::string& id, bool tty, const LogSink& sink,
                      const std::function<void()>& on_attached,
                      const std::shared_ptr<CancelToken>& cancel) {
  // The engine answers 200 and then hijacks the connection: a raw multiplexed stream (or the
  // TTY's bytes) until the container stops and the engine closes it.
  HttpRequest r = Req("POST",
                      ContainerPath(id) + "/attach" +
                          Query().Add("stream", true).Add("stdout", true).Add("stderr", true).str(),
                      "attach to container " + ShortId(id));
  r.streaming = true;
  r.cancel = cancel;
  r.on_headers = [&](int status) {
    if (IsSuccess(status) && on_attached) on_attached();
  };
  return ReadOutputStream(std::move(r), tty, sink);
}

Result<std::vector<ArchiveEntry>> Client::GetArchive(const std::string& id, const std::string& path,
                                                     int64_t max_bytes) {
  HttpRequest r = Req("GET", ContainerPath(id) + "/archive" + Query().Add("path", path).str(),
                      "copy " + path + " out of container " + ShortId(id));
  r.max_body_bytes = max_bytes + kTarOverhead;
  auto res = transport_->Do(r);
  if (!res.ok()) {
    if (res.error().code == ErrorCode::kResourceExhausted) {
      return Error(ErrorCode::kResourceExhausted, r.what + ": larger than the limit of " +
                                                      std::to_string(max_bytes) +
                                                      " bytes; stopped reading");
    }
    return res.error();
  }
  if (!IsSuccess(res->status)) return HttpError(res->status, res->body, r.what);
  auto entries = ReadTar(res->body, max_bytes);
  if (!entries.ok()) {
    if (entries.error().code == ErrorCode::kResourceExhausted) {
      return Error(ErrorCode::kResourceExhausted,
                   r.what + ": larger than the limit of " + std::to_string(max_bytes) + " bytes");
    }
    return entries.error().WithContext(r.what);
  }
  std::vector<ArchiveEntry> out;
  out.reserve(entries->size());
  for (TarEntry& e : *entries) {
    out.push_back(ArchiveEntry{std::move(e.path), e.mode, e.is_dir, std::move(e.content)});
  }
  return out;
}

Status Client::PutArchive(const std::string& id, const std::string& dest_dir,
                          const std::string& tar) {
  HttpRequest r = Req("PUT", ContainerPath(id) + "/archive" + Query().Add("path", dest_dir).str(),
                      "copy files into " + dest_dir + " of container " + ShortId(id));
  r.body = tar;
  r.content_type = "application/x-tar";
  return CallStatus(*transport_, r);
}

Result<ImageInfo> Client::InspectImage(const std::string& ref) {
  auto doc = CallJson(*transport_,
                      Req("GET", "/images/" + PathEscape(ref) + "/json", "inspect image " + ref));
  if (!doc.ok()) return doc.error();
  return ParseImageInfo(*doc);
}

Result<std::vector<ImageSummary>> Client::ListImages(const Filters& filters) {
  Query q;
  if (!filters.empty()) q.Add("filters", EncodeFilters(filters));
  auto doc = CallJson(*transport_, Req("GET", "/images/json" + q.str(), "list images"));
  if (!doc.ok()) return doc.error();
  std::vector<ImageSummary> out;
  if (doc->is_array()) {
    for (const json& i : *doc) out.push_back(ParseImageSummary(i));
  }
  return out;
}

Status Client::RemoveImage(const std::string& ref, bool force) {
  return CallStatus(*transport_,
                    Req("DELETE", "/images/" + PathEscape(ref) + Query().Add("force", force).str(),
                        "remove image " + ref));
}

Status Client::TagImage(const std::string& source, const std::string& repo,
                        const std::string& tag) {
  return CallStatus(*transport_, Req("POST",
                                     "/images/" + PathEscape(source) + "/tag" +
                                         Query().Add("repo", repo).Add("tag", tag).str(),
                                     "tag image " + source + " as " + repo + ":" + tag));
}

Result<std::string> Client::BuildImage(const std::string& context_tar, const BuildOptions& options,
                                       const BuildSink& sink,
                                       const std::shared_ptr<CancelToken>& cancel) {
  Query q;
  for (const std::string& t : options.tags) q.Add("t", t);
  q.Add("dockerfile", options.dockerfile.empty() ? std::string("Dockerfile") : options.dockerfile);
  if (!options.labels.empty()) q.Add("labels", EncodeStringMap(options.labels));
  if (!options.build_args.empty()) q.Add("buildargs", EncodeStringMap(options.build_args));
  q.Add("rm", options.remove_intermediate).Add("forcerm", options.remove_intermediate);
  q.Add("nocache", options.no_cache).Add("pull", options.pull);
  if (!options.network_mode.empty()) q.Add("networkmode", options.network_mode);
  q.Add("version", "1");  // the classic builder
  std::string name = options.tags.empty() ? std::string("(untagged)") : options.tags.front();
  HttpRequest r = Req("POST", "/build" + q.str(), "build image " + name);
  r.body = context_tar;
  r.content_type = "application/x-tar";
  r.streaming = true;
  r.cancel = cancel;

  BuildLog log;
  JsonLineReader reader;
  Status parsed;
  bool sink_stopped = false;
  auto on_value = [&](const json& doc) {
    BuildProgress p = ParseBuildProgress(doc);
    log.Add(p);
    if (sink && !sink(p)) {
      sink_stopped = true;
      return false;
    }
    return true;
  };
  r.on_data = [&](std::string_view data) {
    parsed = reader.Feed(data, on_value);
    return parsed.ok() && !reader.stopped();
  };
  spdlog::info("docker build started image={} context_bytes={}", name, context_tar.size());
  auto res = transport_->Do(r);
  if (!res.ok()) return res.error();
  if (!IsSuccess(res->status)) return HttpError(res->status, res->body, r.what);
  if (!parsed.ok()) return parsed.error().WithContext(r.what);
  if (sink_stopped) return Error(ErrorCode::kCancelled, r.what + ": cancelled by its consumer");
  parsed = reader.Finish(on_value);
  if (!parsed.ok()) return parsed.error().WithContext(r.what);
  if (!log.error().empty() || log.image_id().empty()) {
    Error e = log.Failure().WithContext(r.what);
    spdlog::warn("docker build failed image={} step=\"{}\" error=\"{}\"", name, log.current_step(),
                 log.error());
    return e;
  }
  spdlog::info("docker build finished image={} id={}", name, log.image_id());
  return log.image_id();
}

Status Client::CreateVolume(const std::string& name, const Labels& labels) {
  HttpRequest r = Req("POST", "/volumes/create", "create volume " + name);
  r.body = json{{"Name", name}, {"Labels", labels}}.dump();
  r.content_type = "application/json";
  auto doc = CallJson(*transport_, r, CallKind::kCreate);
  if (!doc.ok()) return doc.error();
  return OkStatus();
}

Status Client::RemoveVolume(const std::string& name, bool force) {
  return CallStatus(
      *transport_, Req("DELETE", "/volumes/" + PathEscape(name) + Query().Add("force", force).str(),
                       "remove volume " + name));
}

Status Client::Events(const Filters& filters, const EventSink& sink,
                      const std::shared_ptr<CancelToken>& cancel, int64_t since_unix) {
  Query q;
  if (!filters.empty()) q.Add("filters", EncodeFilters(filters));
  if (since_unix > 0) q.Add("since", since_unix);
  HttpRequest r = Req("GET", "/events" + q.str(), "follow engine events");
  r.streaming = true;
  r.cancel = cancel;
  JsonLineReader reader;
  Status parsed;
  r.on_data = [&](std::string_view data) {
    parsed = reader.Feed(data, [&](const json& doc) { return sink(ParseEvent(doc)); });
    return parsed.ok() && !reader.stopped();
  };
  auto res = transport_->Do(r);
  if (!res.ok()) return res.error();
  if (!IsSuccess(res->status)) return HttpError(res->status, res->body, r.what);
  if (!parsed.ok()) return parsed.error().WithContext(r.what);
  if (reader.stopped()) return OkStatus();
  return TransportError(endpoint().ToString(), r.what, "the engine ended the event stream");
}

}  // namespace vpe::docker
