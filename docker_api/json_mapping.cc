#include "docker_api/json_mapping.h"

namespace vpe::docker {
namespace {

using nlohmann::json;

const json* Field(const json& doc, const char* key) {
  if (!doc.is_object()) return nullptr;
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string Str(const json& doc, const char* key) {
  const json* f = Field(doc, key);
  return f != nullptr && f->is_string() ? f->get<std::string>() : std::string();
}

int64_t Int(const json& doc, const char* key) {
  const json* f = Field(doc, key);
  return f != nullptr && f->is_number() ? f->get<int64_t>() : 0;
}

bool Bool(const json& doc, const char* key) {
  const json* f = Field(doc, key);
  return f != nullptr && f->is_boolean() && f->get<bool>();
}

std::vector<std::string> Strings(const json& doc, const char* key) {
  std::vector<std::string> out;
  const json* f = Field(doc, key);
  if (f == nullptr || !f->is_array()) return out;
  for (const json& v : *f) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

Labels StringMap(const json& doc, const char* key) {
  Labels out;
  const json* f = Field(doc, key);
  if (f == nullptr || !f->is_object()) return out;
  for (auto it = f->begin(); it != f->end(); ++it) {
    if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

const json& Object(const json& doc, const char* key) {
  static const json kEmpty = json::object();
  const json* f = Field(doc, key);
  return f != nullptr && f->is_object() ? *f : kEmpty;
}

json MountBody(const Mount& m) {
  json j = {{"Type", m.type}, {"Target", m.target}};
  if (!m.source.empty()) j["Source"] = m.source;
  if (m.read_only) j["ReadOnly"] = true;
  if (m.type == "tmpfs" && (m.tmpfs_size_bytes > 0 || m.tmpfs_mode != 0)) {
    json t = json::object();
    if (m.tmpfs_size_bytes > 0) t["SizeBytes"] = m.tmpfs_size_bytes;
    if (m.tmpfs_mode != 0) t["Mode"] = m.tmpfs_mode;
    j["TmpfsOptions"] = t;
  }
  return j;
}

json HostConfigBody(const HostConfig& h) {
  json j = json::object();
  if (h.memory_bytes > 0) j["Memory"] = h.memory_bytes;
  if (h.memory_swap_bytes != 0) j["MemorySwap"] = h.memory_swap_bytes;
  if (h.nano_cpus > 0) j["NanoCpus"] = h.nano_cpus;
  if (h.pids_limit != 0) j["PidsLimit"] = h.pids_limit;
  if (!h.cap_drop.empty()) j["CapDrop"] = h.cap_drop;
  if (!h.cap_add.empty()) j["CapAdd"] = h.cap_add;
  if (!h.security_opt.empty()) j["SecurityOpt"] = h.security_opt;
  if (h.readonly_rootfs) j["ReadonlyRootfs"] = true;
  if (!h.tmpfs.empty()) j["Tmpfs"] = h.tmpfs;
  if (!h.network_mode.empty()) j["NetworkMode"] = h.network_mode;
  if (h.init) j["Init"] = true;
  if (h.privileged) j["Privileged"] = true;
  if (!h.mounts.empty()) {
    json mounts = json::array();
    for (const Mount& m : h.mounts) mounts.push_back(MountBody(m));
    j["Mounts"] = mounts;
  }
  if (!h.log_driver.empty() || !h.log_opts.empty()) {
    j["LogConfig"] = {{"Type", h.log_driver}, {"Config", h.log_opts}};
  }
  if (h.auto_remove) j["AutoRemove"] = true;
  return j;
}

}  // namespace

json ContainerCreateBody(const ContainerSpec& spec) {
  json j = {{"Image", spec.image}};
  if (!spec.cmd.empty()) j["Cmd"] = spec.cmd;
  if (spec.entrypoint.has_value()) j["Entrypoint"] = *spec.entrypoint;
  if (!spec.env.empty()) j["Env"] = spec.env;
  if (!spec.working_dir.empty()) j["WorkingDir"] = spec.working_dir;
  if (!spec.user.empty()) j["User"] = spec.user;
  j["Labels"] = spec.labels;
  if (spec.tty) j["Tty"] = true;
  if (!spec.volumes.empty()) {
    json v = json::object();
    for (const std::string& path : spec.volumes) v[path] = json::object();
    j["Volumes"] = v;
  }
  if (!spec.stop_signal.empty()) j["StopSignal"] = spec.stop_signal;
  if (spec.stop_timeout_seconds.has_value()) j["StopTimeout"] = *spec.stop_timeout_seconds;
  j["HostConfig"] = HostConfigBody(spec.host);
  return j;
}

CreateResult ParseCreateResult(const json& doc) {
  CreateResult r;
  r.id = Str(doc, "Id");
  for (std::string& w : Strings(doc, "Warnings")) {
    if (!w.empty()) r.warnings.push_back(std::move(w));
  }
  return r;
}

ContainerInfo ParseContainerInfo(const json& doc) {
  ContainerInfo info;
  info.id = Str(doc, "Id");
  info.name = Str(doc, "Name");
  if (!info.name.empty() && info.name[0] == '/') info.name.erase(0, 1);
  info.image = Str(doc, "Image");
  const json& state = Object(doc, "State");
  info.state.status = Str(state, "Status");
  info.state.running = Bool(state, "Running");
  info.state.oom_killed = Bool(state, "OOMKilled");
  info.state.dead = Bool(state, "Dead");
  info.state.exit_code = Int(state, "ExitCode");
  info.state.pid = Int(state, "Pid");
  info.state.error = Str(state, "Error");
  info.state.started_at = Str(state, "StartedAt");
  info.state.finished_at = Str(state, "FinishedAt");
  info.labels = StringMap(Object(doc, "Config"), "Labels");
  info.raw = doc;
  return info;
}

ContainerSummary ParseContainerSummary(const json& doc) {
  ContainerSummary s;
  s.id = Str(doc, "Id");
  s.names = Strings(doc, "Names");
  for (std::string& n : s.names) {
    if (!n.empty() && n[0] == '/') n.erase(0, 1);
  }
  s.image = Str(doc, "Image");
  s.state = Str(doc, "State");
  s.status = Str(doc, "Status");
  s.labels = StringMap(doc, "Labels");
  s.created = Int(doc, "Created");
  return s;
}

WaitResult ParseWaitResult(const json& doc) {
  WaitResult r;
  r.status_code = Int(doc, "StatusCode");
  r.error = Str(Object(doc, "Error"), "Message");
  return r;
}

const char* WaitConditionName(WaitCondition condition) {
  switch (condition) {
    case WaitCondition::kNotRunning:
      return "not-running";
    case WaitCondition::kNextExit:
      return "next-exit";
    case WaitCondition::kRemoved:
      return "removed";
  }
  return "not-running";
}

ImageInfo ParseImageInfo(const json& doc) {
  ImageInfo info;
  info.id = Str(doc, "Id");
  info.repo_tags = Strings(doc, "RepoTags");
  info.labels = StringMap(Object(doc, "Config"), "Labels");
  info.created = Str(doc, "Created");
  info.size = Int(doc, "Size");
  info.raw = doc;
  return info;
}

ImageSummary ParseImageSummary(const json& doc) {
  ImageSummary s;
  s.id = Str(doc, "Id");
  s.repo_tags = Strings(doc, "RepoTags");
  s.labels = StringMap(doc, "Labels");
  s.created = Int(doc, "Created");
  s.size = Int(doc, "Size");
  return s;
}

BuildProgress ParseBuildProgress(const json& doc) {
  BuildProgress p;
  p.stream = Str(doc, "stream");
  p.status = Str(doc, "status");
  p.error = Str(doc, "error");
  if (p.error.empty()) p.error = Str(Object(doc, "errorDetail"), "message");
  p.aux_id = Str(Object(doc, "aux"), "ID");
  p.raw = doc;
  return p;
}

Event ParseEvent(const json& doc) {
  Event e;
  e.type = Str(doc, "Type");
  e.action = Str(doc, "Action");
  if (e.action.empty()) e.action = Str(doc, "status");
  const json& actor = Object(doc, "Actor");
  e.id = Str(actor, "ID");
  if (e.id.empty()) e.id = Str(doc, "id");
  e.attributes = StringMap(actor, "Attributes");
  e.time_nano = Int(doc, "timeNano");
  if (e.time_nano == 0) e.time_nano = Int(doc, "time") * 1000000000;
  e.raw = doc;
  return e;
}

VersionInfo ParseVersion(const json& doc) {
  VersionInfo v;
  v.version = Str(doc, "Version");
  v.api_version = Str(doc, "ApiVersion");
  v.min_api_version = Str(doc, "MinAPIVersion");
  v.os = Str(doc, "Os");
  v.arch = Str(doc, "Arch");
  return v;
}

std::string EncodeFilters(const Filters& filters) {
  json j = json::object();
  for (const auto& [key, values] : filters) {
    json set = json::object();
    for (const std::string& v : values) set[v] = true;
    j[key] = set;
  }
  return j.dump();
}

std::string EncodeStringMap(const Labels& map) { return json(map).dump(); }

}  // namespace vpe::docker
