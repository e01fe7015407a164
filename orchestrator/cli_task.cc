#include "orchestrator/cli_task.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>

#include "env_specs/units.h"
#include "vpe/v1/executor.grpc.pb.h"

namespace vpe::orch {
namespace {

namespace pb = vpe::v1;
using google::protobuf::util::TimeUtil;

// Exit codes for outcomes without a container exit code, as `docker run` and timeout(1) use them.
constexpr int kExitTimedOut = 124;
constexpr int kExitNoExitCode = 125;
constexpr int kExitCancelled = 130;

struct Common {
  std::string server;
  std::string token_file;
  bool json = false;
};

std::string DefaultServer() {
  const char* s = std::getenv("VPE_SERVER");
  return s && *s ? s : "127.0.0.1:50051";
}

class Connection {
 public:
  explicit Connection(const Common& c) {
    channel_ = grpc::CreateChannel(c.server, grpc::InsecureChannelCredentials());
    stub_ = pb::Executor::NewStub(channel_);
    std::string path = c.token_file;
    if (path.empty() && std::getenv("VPE_TOKEN_FILE")) path = std::getenv("VPE_TOKEN_FILE");
    if (!path.empty()) {
      std::ifstream in(path);
      std::getline(in, token_);
    }
  }
  std::unique_ptr<grpc::ClientContext> Context(bool streaming = false) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!token_.empty()) ctx->AddMetadata("authorization", "Bearer " + token_);
    if (!streaming) ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return ctx;
  }
  pb::Executor::Stub& stub() { return *stub_; }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<pb::Executor::Stub> stub_;
  std::string token_;
};

int RpcError(const std::string& what, const grpc::Status& s, const std::string& server) {
  std::string code;
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      code = "unavailable";
      break;
    case grpc::StatusCode::INVALID_ARGUMENT:
      code = "invalid argument";
      break;
    case grpc::StatusCode::NOT_FOUND:
      code = "not found";
      break;
    case grpc::StatusCode::PERMISSION_DENIED:
      code = "permission denied";
      break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      code = "resource exhausted";
      break;
    case grpc::StatusCode::UNAUTHENTICATED:
      code = "unauthenticated";
      break;
    default:
      code = "error " + std::to_string(static_cast<int>(s.error_code()));
  }
  std::cerr << "vpe: " << what << ": " << code << ": " << s.error_message();
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE) std::cerr << " (server " << server << ")";
  std::cerr << "\n";
  return kExitNoExitCode;
}

std::string StateName(pb::TaskState s) { return pb::TaskState_Name(s); }

bool IsTerminal(pb::TaskState s) {
  return s == pb::SUCCEEDED || s == pb::FAILED || s == pb::TIMED_OUT || s == pb::CANCELLED ||
         s == pb::LOST;
}

int ExitCodeOf(const pb::Task& t) {
  switch (t.state()) {
    case pb::SUCCEEDED:
      return 0;
    case pb::TIMED_OUT:
      return kExitTimedOut;
    case pb::CANCELLED:
      return kExitCancelled;
    default:
      break;
  }
  if (t.has_exit_code() && t.exit_code() != 0) return t.exit_code();
  return kExitNoExitCode;
}

std::string ToJson(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::util::JsonPrintOptions o;
  o.add_whitespace = false;
  o.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(m, &out, o);
  return out;
}

void PrintTask(const pb::Task& t, bool json) {
  if (json) {
    std::cout << ToJson(t) << "\n";
    return;
  }
  std::cout << "id:          " << t.id() << "\n"
            << "key:         " << t.task_key() << "\n"
            << "environment: " << t.environment() << "\n"
            << "state:       " << StateName(t.state()) << "\n";
  if (!t.reason().empty()) std::cout << "reason:      " << t.reason() << "\n";
  if (t.has_exit_code()) std::cout << "exit code:   " << t.exit_code() << "\n";
  if (t.oom_killed()) std::cout << "oom killed:  yes\n";
  if (!t.image().empty()) std::cout << "image:       " << t.image() << "\n";
  std::cout << "created:     " << TimeUtil::ToString(t.created_at()) << "\n";
  if (t.has_started_at())
    std::cout << "started:     " << TimeUtil::ToString(t.started_at()) << "\n";
  if (t.has_finished_at()) {
    std::cout << "finished:    " << TimeUtil::ToString(t.finished_at()) << "\n";
  }
  if (!t.result_json().empty()) std::cout << "result:      " << t.result_json() << "\n";
}

bool SplitKV(const std::string& kv, std::string* k, std::string* v) {
  auto eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  *k = kv.substr(0, eq);
  *v = kv.substr(eq + 1);
  return true;
}

// Follows a task to its end, writing logs to stdout/stderr, resuming after a broken stream from
// the last seq and offset. Returns the final task, or nullopt after an error was reported.
std::optional<pb::Task> Follow(Connection& conn, const Common& common, const std::string& id,
                               bool logs, bool print_states) {
  int64_t seq = 0, offset = 0;
  int failures = 0;
  while (true) {
    pb::WatchTaskRequest req;
    req.set_id(id);
    req.set_after_seq(seq);
    req.set_log_offset(offset);
    req.set_logs(logs);
    auto ctx = conn.Context(/*streaming=*/true);
    auto reader = conn.stub().WatchTask(ctx.get(), req);
    pb::TaskEvent ev;
    std::optional<pb::Task> final_task;
    while (reader->Read(&ev)) {
      failures = 0;
      if (ev.has_log()) {
        const auto& l = ev.log();
        if (l.dropped() > 0) {
          std::cout << std::flush;
          std::cerr << "\n[vpe: " << l.dropped() << " bytes of log dropped here by the log cap]\n";
        }
        (l.stream() == pb::LogChunk::STDERR ? std::cerr : std::cout) << l.data() << std::flush;
        offset = l.offset() + static_cast<int64_t>(l.data().size()) + l.dropped();
      } else if (ev.has_state()) {
        seq = ev.seq();
        const auto& st = ev.state();
        if (print_states) {
          std::cerr << "vpe: " << id << " " << StateName(st.state())
                    << (st.reason().empty() ? "" : ": " + st.reason()) << "\n";
        }
        if (IsTerminal(st.state())) final_task = st.task();
      }
    }
    grpc::Status s = reader->Finish();
    if (final_task) return final_task;
    if (s.ok()) {
      // Stream ended without a terminal state; ask once more.
      pb::GetTaskRequest g;
      g.set_id(id);
      pb::Task t;
      auto c = conn.Context();
      if (conn.stub().GetTask(c.get(), g, &t).ok() && IsTerminal(t.state())) return t;
    } else if (s.error_code() != grpc::StatusCode::UNAVAILABLE || ++failures > 30) {
      RpcError("watching task " + id, s, common.server);
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));  // vped restarting: resume
  }
}

}  // namespace

void RegisterTaskCommands(CLI::App& app, int* exit_code) {
  auto common = std::make_shared<Common>();
  common->server = DefaultServer();
  CLI::App* task = app.add_subcommand("task", "submit, watch, list and cancel tasks on vped");
  task->require_subcommand(1);
  task->add_option("--server", common->server, "vped address (host:port or unix:/path)")
      ->capture_default_str();
  task->add_option("--token-file", common->token_file, "bearer token file");
  task->add_flag("--json", common->json, "machine-readable output");
  // Options of `task` (--server, --json...) are also accepted after the subcommand.
  auto sub = [task](const std::string& name, const std::string& help) {
    return task->add_subcommand(name, help)->fallthrough();
  };

  // run
  struct RunArgs {
    std::string env, timeout, key, memory;
    std::vector<std::string> envs, secrets, labels, volumes, command;
    double cpus = 0;
    int priority = 0;
    bool detach = false;
  };
  auto ra = std::make_shared<RunArgs>();
  CLI::App* run = sub("run", "run a command in an environment and wait for it");
  run->add_option("environment", ra->env, "environment name")->required();
  run->add_option("--timeout", ra->timeout, "e.g. 30s, 5m, 2h");
  run->add_option("--env", ra->envs, "K=V (repeatable)");
  run->add_option("--secret-env", ra->secrets,
                  "K=V, or K to take the value from this shell (repeatable; never stored)");
  run->add_option("--label", ra->labels, "K=V (repeatable)");
  run->add_option("--volume", ra->volumes, "NAME:/target[:ro] named volume (repeatable)");
  run->add_option("--key", ra->key, "idempotency key (task_key)");
  run->add_option("--memory", ra->memory, "memory limit, e.g. 256Mi");
  run->add_option("--cpus", ra->cpus, "CPU limit");
  run->add_option("--priority", ra->priority, "higher runs first");
  run->add_flag("-d,--detach", ra->detach, "print the task id and return");
  run->add_option("command", ra->command, "the command (after --)");
  run->callback([common, ra, exit_code] {
    pb::SubmitTaskRequest req;
    req.set_environment(ra->env);
    req.set_task_key(ra->key);
    req.set_priority(ra->priority);
    for (const auto& c : ra->command) req.add_command(c);
    std::string k, v;
    for (const auto& kv : ra->envs) {
      if (!SplitKV(kv, &k, &v)) throw CLI::ValidationError("--env", "expected K=V, got " + kv);
      (*req.mutable_env())[k] = v;
    }
    for (const auto& kv : ra->secrets) {
      if (!SplitKV(kv, &k, &v)) {
        const char* from_env = std::getenv(kv.c_str());
        if (!from_env) {
          throw CLI::ValidationError("--secret-env", kv + " is not set in this shell");
        }
        k = kv;
        v = from_env;
      }
      (*req.mutable_secret_env())[k] = v;
    }
    for (const auto& kv : ra->labels) {
      if (!SplitKV(kv, &k, &v)) throw CLI::ValidationError("--label", "expected K=V, got " + kv);
      (*req.mutable_labels())[k] = v;
    }
    for (const auto& spec : ra->volumes) {
      auto c1 = spec.find(':');
      if (c1 == std::string::npos) {
        throw CLI::ValidationError("--volume", "expected NAME:/target[:ro], got " + spec);
      }
      auto* m = req.add_volumes();
      m->set_name(spec.substr(0, c1));
      std::string rest = spec.substr(c1 + 1);
      if (rest.size() > 3 && rest.substr(rest.size() - 3) == ":ro") {
        m->set_read_only(true);
        rest = rest.substr(0, rest.size() - 3);
      }
      m->set_target(rest);
    }
    if (!ra->timeout.empty()) {
      auto d = envspec::ParseDuration(ra->timeout);
      if (!d) throw CLI::ValidationError("--timeout", "expected e.g. 30s, 5m, 2h: " + ra->timeout);
      *req.mutable_timeout() = TimeUtil::MillisecondsToDuration(d->count());
    }
    if (!ra->memory.empty()) {
      auto m = envspec::ParseSize(ra->memory);
      if (!m) throw CLI::ValidationError("--memory", "expected e.g. 256Mi: " + ra->memory);
      req.mutable_resources()->set_memory_bytes(*m);
    }
    req.mutable_resources()->set_cpus(ra->cpus);

    Connection conn(*common);
    pb::Task task;
    auto ctx = conn.Context();
    grpc::Status s = conn.stub().SubmitTask(ctx.get(), req, &task);
    if (!s.ok()) {
      *exit_code = RpcError("submitting to environment " + ra->env, s, common->server);
      return;
    }
    if (ra->detach) {
      if (common->json)
        std::cout << ToJson(task) << "\n";
      else
        std::cout << task.id() << "\n";
      *exit_code = 0;
      return;
    }
    if (!common->json) std::cerr << "vpe: task " << task.id() << " submitted\n";
    auto final_task = Follow(conn, *common, task.id(), /*logs=*/!common->json,
                             /*print_states=*/false);
    if (!final_task) {
      *exit_code = kExitNoExitCode;
      return;
    }
    if (common->json) {
      std::cout << ToJson(*final_task) << "\n";
    } else {
      std::cerr << "vpe: task " << final_task->id() << " " << StateName(final_task->state())
                << (final_task->reason().empty() ? "" : ": " + final_task->reason()) << "\n";
      if (!final_task->result_json().empty()) {
        std::cout << "result: " << final_task->result_json() << "\n";
      }
    }
    *exit_code = ExitCodeOf(*final_task);
  });

  // get
  auto get_id = std::make_shared<std::string>();
  CLI::App* get = sub("get", "show one task");
  get->add_option("id", *get_id, "task id")->required();
  get->callback([common, get_id, exit_code] {
    Connection conn(*common);
    pb::GetTaskRequest req;
    req.set_id(*get_id);
    pb::Task t;
    auto ctx = conn.Context();
    grpc::Status s = conn.stub().GetTask(ctx.get(), req, &t);
    if (!s.ok()) {
      *exit_code = RpcError("getting task " + *get_id, s, common->server);
      return;
    }
    PrintTask(t, common->json);
    *exit_code = 0;
  });

  // ls
  struct LsArgs {
    std::vector<std::string> states, labels;
    std::string env;
    int limit = 100;
  };
  auto la = std::make_shared<LsArgs>();
  CLI::App* ls = sub("ls", "list tasks");
  ls->add_option("--state", la->states, "QUEUED, RUNNING, SUCCEEDED... (repeatable)");
  ls->add_option("--environment", la->env, "only this environment");
  ls->add_option("--label", la->labels, "K=V (repeatable, all must match)");
  ls->add_option("--limit", la->limit, "at most this many tasks")->capture_default_str();
  ls->callback([common, la, exit_code] {
    Connection conn(*common);
    pb::ListTasksRequest req;
    for (const auto& st : la->states) {
      pb::TaskState state;
      if (!pb::TaskState_Parse(st, &state)) {
        throw CLI::ValidationError("--state", "unknown state " + st);
      }
      req.add_states(state);
    }
    req.set_environment(la->env);
    std::string k, v;
    for (const auto& kv : la->labels) {
      if (!SplitKV(kv, &k, &v)) throw CLI::ValidationError("--label", "expected K=V, got " + kv);
      (*req.mutable_labels())[k] = v;
    }
    int shown = 0;
    if (!common->json) {
      std::printf("%-20s %-16s %-10s %-5s %s\n", "ID", "ENVIRONMENT", "STATE", "EXIT", "KEY");
    }
    do {
      req.set_page_size(std::min(la->limit - shown, 1000));
      pb::ListTasksResponse resp;
      auto ctx = conn.Context();
      grpc::Status s = conn.stub().ListTasks(ctx.get(), req, &resp);
      if (!s.ok()) {
        *exit_code = RpcError("listing tasks", s, common->server);
        return;
      }
      for (const auto& t : resp.tasks()) {
        if (common->json) {
          std::cout << ToJson(t) << "\n";
        } else {
          std::printf("%-20s %-16s %-10s %-5s %s\n", t.id().c_str(), t.environment().c_str(),
                      StateName(t.state()).c_str(),
                      t.has_exit_code() ? std::to_string(t.exit_code()).c_str() : "-",
                      t.task_key().c_str());
        }
        ++shown;
      }
      req.set_page_token(resp.next_page_token());
    } while (!req.page_token().empty() && shown < la->limit);
    *exit_code = 0;
  });

  // logs
  auto lg_id = std::make_shared<std::string>();
  auto follow = std::make_shared<bool>(false);
  CLI::App* logs = sub("logs", "print a task's logs");
  logs->add_option("id", *lg_id, "task id")->required();
  logs->add_flag("-f,--follow", *follow, "keep printing until the task ends");
  logs->callback([common, lg_id, follow, exit_code] {
    Connection conn(*common);
    if (*follow) {
      auto t = Follow(conn, *common, *lg_id, true, false);
      *exit_code = t ? 0 : kExitNoExitCode;
      return;
    }
    // Without -f: what is stored now. Watch from the start and stop at the current log size.
    pb::GetTaskRequest g;
    g.set_id(*lg_id);
    pb::Task t;
    auto gctx = conn.Context();
    grpc::Status s = conn.stub().GetTask(gctx.get(), g, &t);
    if (!s.ok()) {
      *exit_code = RpcError("getting task " + *lg_id, s, common->server);
      return;
    }
    if (IsTerminal(t.state())) {
      *exit_code = Follow(conn, *common, *lg_id, true, false) ? 0 : kExitNoExitCode;
      return;
    }
    pb::WatchTaskRequest req;
    req.set_id(*lg_id);
    req.set_logs(true);
    req.set_after_seq(1 << 30);  // no state events, logs only
    auto ctx = conn.Context(true);
    auto reader = conn.stub().WatchTask(ctx.get(), req);
    pb::TaskEvent ev;
    int64_t end = t.log_bytes();
    while (end > 0 && reader->Read(&ev)) {
      if (!ev.has_log()) continue;
      (ev.log().stream() == pb::LogChunk::STDERR ? std::cerr : std::cout) << ev.log().data();
      if (ev.log().offset() + static_cast<int64_t>(ev.log().data().size()) >= end) break;
    }
    ctx->TryCancel();
    *exit_code = 0;
  });

  // cancel
  auto c_id = std::make_shared<std::string>();
  auto c_reason = std::make_shared<std::string>();
  CLI::App* cancel = sub("cancel", "cancel a task");
  cancel->add_option("id", *c_id, "task id")->required();
  cancel->add_option("--reason", *c_reason, "recorded on the task");
  cancel->callback([common, c_id, c_reason, exit_code] {
    Connection conn(*common);
    pb::CancelTaskRequest req;
    req.set_id(*c_id);
    req.set_reason(*c_reason);
    pb::Task t;
    auto ctx = conn.Context();
    grpc::Status s = conn.stub().CancelTask(ctx.get(), req, &t);
    if (!s.ok()) {
      *exit_code = RpcError("cancelling task " + *c_id, s, common->server);
      return;
    }
    PrintTask(t, common->json);
    *exit_code = 0;
  });
}

}  // namespace vpe::orch
