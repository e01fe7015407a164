// End-to-end tests of vped (issue 4): a real vped subprocess, the real engine at $DOCKER_HOST and
// a real gRPC channel. What the engine does is checked on the engine (events, inspect, list),
// not in vped's own counters. Without DOCKER_HOST or a reachable engine every test fails.
//
// One vped is shared by the suite (its flags suit every test); tests that need other flags start
// their own. After each test no container of a terminal task may be left; at the end every
// container labelled with the executor id is removed and counted.

#include <google/protobuf/util/time_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "docker_api/client.h"
#include "tests/e2e/vped/vped_process.h"
#include "vpe/v1/executor.grpc.pb.h"

namespace vpe::e2e {
namespace {

namespace fs = std::filesystem;
using google::protobuf::util::TimeUtil;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using vpe::v1::CancelTaskRequest;
using vpe::v1::Executor;
using vpe::v1::GetTaskRequest;
using vpe::v1::ListTasksRequest;
using vpe::v1::ListTasksResponse;
using vpe::v1::SubmitTaskRequest;
using vpe::v1::Task;
using vpe::v1::TaskEvent;
using vpe::v1::TaskState;
using vpe::v1::TaskState_Name;
using vpe::v1::WatchTaskRequest;

constexpr char kEnv[] = "e2e";
constexpr char kLabelExecutor[] = "io.vpe.executor";
constexpr char kLabelTask[] = "io.vpe.task";

// The shared vped's flags: every test that runs on it relies on some of them.
const std::vector<std::string> kSharedFlags = {"--max-concurrent", "4",  "--stop-grace", "1s",
                                               "--log-cap",        "1Mi"};

bool IsTerminal(TaskState s) {
  return s == vpe::v1::SUCCEEDED || s == vpe::v1::FAILED || s == vpe::v1::TIMED_OUT ||
         s == vpe::v1::CANCELLED || s == vpe::v1::LOST;
}

std::string Describe(const Task& t) {
  return "task " + t.id() + " state=" + TaskState_Name(t.state()) +
         " exit_code=" + std::to_string(t.exit_code()) +
         " oom_killed=" + (t.oom_killed() ? "true" : "false") + " reason=\"" + t.reason() + "\"";
}

int64_t Millis(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMilliseconds(t);
}

std::unique_ptr<grpc::ClientContext> Context(seconds timeout = seconds(30)) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

SubmitTaskRequest Request(const std::vector<std::string>& command) {
  SubmitTaskRequest req;
  req.set_environment(kEnv);
  for (const auto& c : command) req.add_command(c);
  return req;
}

SubmitTaskRequest Python(const std::string& code) { return Request({"python3", "-c", code}); }

grpc::Status TrySubmit(Executor::Stub* stub, const SubmitTaskRequest& req, Task* out) {
  auto ctx = Context();
  return stub->SubmitTask(ctx.get(), req, out);
}

Result<Task> GetTask(Executor::Stub* stub, const std::string& id) {
  GetTaskRequest req;
  req.set_id(id);
  Task t;
  auto ctx = Context(seconds(10));
  grpc::Status s = stub->GetTask(ctx.get(), req, &t);
  if (!s.ok()) {
    return Error(ErrorCode::kInternal, "GetTask(" + id + "): " + std::to_string(s.error_code()) +
                                           " " + s.error_message());
  }
  return t;
}

grpc::Status CancelTask(Executor::Stub* stub, const std::string& id, Task* out) {
  CancelTaskRequest req;
  req.set_id(id);
  req.set_reason("e2e test cancels");
  auto ctx = Context(seconds(10));
  return stub->CancelTask(ctx.get(), req, out);
}

// Polls GetTask until `done(task)` or `timeout`; returns the last task seen.
Result<Task> WaitFor(Executor::Stub* stub, const std::string& id,
                     const std::function<bool(const Task&)>& done, milliseconds timeout) {
  auto deadline = steady_clock::now() + timeout;
  while (true) {
    auto t = GetTask(stub, id);
    if (!t.ok()) return t;
    if (done(*t)) return t;
    if (steady_clock::now() > deadline) {
      return Error(ErrorCode::kDeadlineExceeded,
                   "waited " + std::to_string(timeout.count()) + " ms; last seen: " + Describe(*t));
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
}

Result<Task> WaitTerminal(Executor::Stub* stub, const std::string& id,
                          milliseconds timeout = seconds(60)) {
  return WaitFor(
      stub, id, [](const Task& t) { return IsTerminal(t.state()); }, timeout);
}

Result<Task> WaitRunning(Executor::Stub* stub, const std::string& id,
                         milliseconds timeout = seconds(60)) {
  return WaitFor(
      stub, id,
      [](const Task& t) { return t.state() == vpe::v1::RUNNING || IsTerminal(t.state()); },
      timeout);
}

struct WatchResult {
  std::vector<TaskEvent> events;
  grpc::Status status;
  bool stopped_early = false;  // `stop` asked to cancel the call
};

// Runs one WatchTask call until the stream ends, the deadline passes or `stop(events so far)`
// returns true (the call is then cancelled, like a client that goes away).
WatchResult Watch(Executor::Stub* stub, const WatchTaskRequest& req, seconds deadline,
                  const std::function<bool(const std::vector<TaskEvent>&)>& stop = nullptr) {
  WatchResult r;
  auto ctx = Context(deadline);
  auto reader = stub->WatchTask(ctx.get(), req);
  TaskEvent ev;
  while (reader->Read(&ev)) {
    r.events.push_back(ev);
    if (stop && stop(r.events)) {
      r.stopped_early = true;
      ctx->TryCancel();
      while (reader->Read(&ev)) {
      }
      break;
    }
  }
  r.status = reader->Finish();
  return r;
}

std::string LogData(const std::vector<TaskEvent>& events) {
  std::string out;
  for (const auto& e : events) {
    if (e.has_log()) out += e.log().data();
  }
  return out;
}

// Records a label-filtered engine event stream in a thread. Events are replayed from a second
// before the subscription (it may be established after the first start), so counts are taken
// per task: a container of an earlier test that died in that second must not count.
class EngineEvents {
 public:
  EngineEvents(docker::Engine* engine, docker::Filters filters) {
    int64_t since = static_cast<int64_t>(time(nullptr)) - 1;
    thread_ = std::thread([this, engine, filters, since] {
      Status s = engine->Events(
          filters,
          [this](const docker::Event& e) {
            if (!e.type.empty() && e.type != "container") return true;
            auto task = e.attributes.find(kLabelTask);
            std::lock_guard<std::mutex> lock(mu_);
            events_.push_back({task == e.attributes.end() ? "" : task->second, e.action});
            return true;
          },
          cancel_, since);
      std::lock_guard<std::mutex> lock(mu_);
      if (!s.ok() && s.error().code != ErrorCode::kCancelled) error_ = s.error().ToString();
    });
  }
  ~EngineEvents() { Stop(); }

  void Stop() {
    cancel_->Cancel();
    if (thread_.joinable()) thread_.join();
  }
  // Waits until `action` was seen for every task of `tasks` (events lag the API a little).
  void WaitFor(const std::string& action, const std::set<std::string>& tasks,
               milliseconds timeout) {
    auto deadline = steady_clock::now() + timeout;
    while (steady_clock::now() < deadline &&
           Count(action, tasks) < static_cast<int>(tasks.size())) {
      std::this_thread::sleep_for(milliseconds(50));
    }
  }
  // How often `action` happened to containers of `tasks`.
  int Count(const std::string& action, const std::set<std::string>& tasks) {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (const auto& [task, a] : events_) n += a == action && tasks.count(task);
    return n;
  }
  // The most containers of `tasks` running at once: starts minus dies, in engine order.
  int MaxRunning(const std::set<std::string>& tasks) {
    std::lock_guard<std::mutex> lock(mu_);
    int running = 0, max = 0;
    for (const auto& [task, a] : events_) {
      if (!tasks.count(task)) continue;
      if (a == "start") max = std::max(max, ++running);
      if (a == "die") --running;
    }
    return max;
  }
  std::string error() {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }

 private:
  std::shared_ptr<docker::CancelToken> cancel_ = std::make_shared<docker::CancelToken>();
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::pair<std::string, std::string>> events_;  // (task id, action)
  std::string error_;
};

int64_t DirBytes(const std::string& dir) {
  int64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file(ec)) total += static_cast<int64_t>(it->file_size(ec));
  }
  return total;
}

// VmHWM (peak resident set) of `pid` in bytes; -1 when unreadable.
int64_t PeakRssBytes(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  return -1;
}

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

int64_t JsonInt(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return 0;
  return it->get<int64_t>();
}

bool JsonBool(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

std::vector<std::string> JsonStrings(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const auto& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

// The base fixture: a gRPC stub and an engine client for one vped, and the bookkeeping of the
// tasks a test submitted so that TearDown can cancel leftovers and check container removal.
class VpedTestBase : public ::testing::Test {
 protected:
  // Connects to $DOCKER_HOST; the error says what to do.
  static Result<std::unique_ptr<docker::Client>> ConnectEngine() {
    std::string host = DockerHost();
    if (host.empty()) {
      return Error(ErrorCode::kFailedPrecondition,
                   "DOCKER_HOST is not set: the e2e tests need a real engine "
                   "(scripts/engine.sh start; export DOCKER_HOST=$(scripts/engine.sh host))");
    }
    docker::ConnectOptions o;
    o.host = host;
    auto c = docker::Client::Connect(o);
    if (!c.ok()) return c.error().WithContext("engine at DOCKER_HOST=" + host + " unreachable");
    return c;
  }

  Task Submit(Executor::Stub* stub, const SubmitTaskRequest& req) {
    Task t;
    grpc::Status s = TrySubmit(stub, req, &t);
    EXPECT_TRUE(s.ok()) << "SubmitTask: code " << s.error_code() << ": " << s.error_message();
    if (!t.id().empty()) submitted_.push_back({stub, t.id()});
    return t;
  }

  // Cancels what the test left running, then checks that no container of a terminal task is
  // left on the engine for `executor_id`.
  void CheckLeftovers(Executor::Stub* stub, const std::string& executor_id) {
    for (const auto& [s, id] : submitted_) {
      if (s != stub) continue;
      auto t = GetTask(stub, id);
      if (t.ok() && !IsTerminal(t->state())) {
        Task ignored;
        (void)CancelTask(stub, id, &ignored);
        auto done = WaitTerminal(stub, id, seconds(20));
        EXPECT_TRUE(done.ok()) << "cancelling leftover " << id << ": " << done.error().message;
      }
    }
    auto containers = engine_->ListContainers(
        true, {{"label", {std::string(kLabelExecutor) + "=" + executor_id}}});
    ASSERT_TRUE(containers.ok()) << containers.error().ToString();
    for (const auto& c : *containers) {
      auto label = c.labels.find(kLabelTask);
      std::string task_id = label == c.labels.end() ? "" : label->second;
      auto t = GetTask(stub, task_id);
      if (!t.ok() || IsTerminal(t->state())) {
        ADD_FAILURE() << "container " << c.id.substr(0, 12) << " (" << c.state << ") of task "
                      << task_id << " is left on the engine although the task is "
                      << (t.ok() ? TaskState_Name(t->state()) : t.error().message);
      }
    }
  }

  static std::unique_ptr<docker::Client> engine_;
  std::vector<std::pair<Executor::Stub*, std::string>> submitted_;
};

std::unique_ptr<docker::Client> VpedTestBase::engine_;

// Removes every container labelled with `executor_id`; returns how many there were.
int RemoveAllContainers(docker::Engine* engine, const std::string& executor_id,
                        std::string* listing) {
  auto containers =
      engine->ListContainers(true, {{"label", {std::string(kLabelExecutor) + "=" + executor_id}}});
  if (!containers.ok()) {
    *listing = containers.error().ToString();
    return -1;
  }
  for (const auto& c : *containers) {
    auto label = c.labels.find(kLabelTask);
    *listing += c.id.substr(0, 12) + " state=" + c.state +
                " task=" + (label == c.labels.end() ? "?" : label->second) + "\n";
    (void)engine->RemoveContainer(c.id, true, true);
  }
  return static_cast<int>(containers->size());
}

// Tests on the vped shared by the suite.
class VpedTest : public VpedTestBase {
 protected:
  static void SetUpTestSuite() {
    auto engine = ConnectEngine();
    if (!engine.ok()) {
      setup_error_ = engine.error().message;
      return;
    }
    engine_ = std::move(engine).value();
    auto v = VpedProcess::Start(kSharedFlags);
    if (!v.ok()) {
      setup_error_ = "starting the shared vped: " + v.error().message;
      return;
    }
    vped_ = std::move(v).value();
  }

  static void TearDownTestSuite() {
    if (!vped_) return;
    std::string executor_id = vped_->executor_id();
    auto code = vped_->Stop();
    if (!code.ok() || *code != 0) {
      ADD_FAILURE() << "vped did not shut down cleanly on SIGTERM: "
                    << (code.ok() ? "exit code " + std::to_string(*code) : code.error().message)
                    << "\nvped output tail:\n"
                    << vped_->OutputTail();
    }
    std::string listing;
    int left = RemoveAllContainers(engine_.get(), executor_id, &listing);
    // Every test ends with its tasks terminal, so nothing may be left.
    if (left != 0) {
      ADD_FAILURE() << left << " container(s) labelled " << kLabelExecutor << "=" << executor_id
                    << " were left after the suite (removed now):\n"
                    << listing;
    }
    std::printf("[ e2e ] shared vped %s: state dir %s, output %s\n", executor_id.c_str(),
                vped_->state_dir().c_str(), vped_->log_path().c_str());
    vped_.reset();
    engine_.reset();
  }

  void SetUp() override {
    ASSERT_TRUE(setup_error_.empty()) << setup_error_;
    ASSERT_TRUE(vped_ && vped_->running()) << "the shared vped is not running";
    stub_ = Executor::NewStub(vped_->channel());
  }

  void TearDown() override {
    if (!vped_ || !stub_) return;
    CheckLeftovers(stub_.get(), vped_->executor_id());
    if (HasFailure()) {
      std::printf("[ e2e ] vped output tail (%s):\n%s\n", vped_->log_path().c_str(),
                  vped_->OutputTail(60).c_str());
    }
  }

  Task Submit(const SubmitTaskRequest& req) { return VpedTestBase::Submit(stub_.get(), req); }
  Executor::Stub* stub() { return stub_.get(); }

  static std::unique_ptr<VpedProcess> vped_;
  static std::string setup_error_;
  std::unique_ptr<Executor::Stub> stub_;
};

std::unique_ptr<VpedProcess> VpedTest::vped_;
std::string VpedTest::setup_error_;

TEST_F(VpedTest, RunsTaskAndReturnsResultJson) {
  const std::string result = R"({"answer": 42, "rows": [1, 2, 3], "name": "e2e"})";
  Task submitted =
      Submit(Python("import os\nwith open(os.environ['VPE_RESULT'], 'w') as f:\n"
                    "    f.write('" +
                    result + "')\nprint('done')\n"));
  ASSERT_FALSE(submitted.id().empty());
  EXPECT_EQ(submitted.environment(), kEnv);
  auto t = WaitTerminal(stub(), submitted.id());
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->state(), vpe::v1::SUCCEEDED) << Describe(*t);
  EXPECT_TRUE(t->has_exit_code());
  EXPECT_EQ(t->exit_code(), 0);
  EXPECT_FALSE(t->oom_killed());
  EXPECT_EQ(t->result_json(), result);
  EXPECT_EQ(nlohmann::json::parse(t->result_json(), nullptr, false), nlohmann::json::parse(result));
  EXPECT_EQ(t->image().rfind("vpe-env/e2e:", 0), 0u) << t->image();
  EXPECT_FALSE(t->container_id().empty());
  EXPECT_TRUE(t->has_started_at());
  EXPECT_TRUE(t->has_finished_at());
  EXPECT_LE(Millis(t->created_at()), Millis(t->started_at()));
  EXPECT_LE(Millis(t->started_at()), Millis(t->finished_at()));
}

TEST_F(VpedTest, ResultOverTheCapOrNotJsonFailsWithAClearReason) {
  // The shared vped runs with the default result cap of 1 MiB.
  Task big =
      Submit(Python("import os\nopen(os.environ['VPE_RESULT'], 'w').write("
                    "'[' + '1,' * (1024 * 1024) + '1]')\n"));
  Task bad = Submit(Python("import os\nopen(os.environ['VPE_RESULT'], 'w').write('{oops')\n"));
  auto b = WaitTerminal(stub(), big.id());
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->state(), vpe::v1::FAILED) << Describe(*b);
  EXPECT_EQ(b->exit_code(), 0);
  EXPECT_NE(b->reason().find("over the cap of 1Mi"), std::string::npos) << b->reason();
  EXPECT_TRUE(b->result_json().empty());
  auto j = WaitTerminal(stub(), bad.id());
  ASSERT_TRUE(j.ok()) << j.error().message;
  EXPECT_EQ(j->state(), vpe::v1::FAILED) << Describe(*j);
  EXPECT_NE(j->reason().find("not valid JSON"), std::string::npos) << j->reason();
}

TEST_F(VpedTest, ReportsNonZeroExitAsFailedWithExitCode) {
  Task submitted = Submit(Request({"sh", "-c", "echo failing >&2; exit 7"}));
  auto t = WaitTerminal(stub(), submitted.id());
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->state(), vpe::v1::FAILED) << Describe(*t);
  EXPECT_TRUE(t->has_exit_code());
  EXPECT_EQ(t->exit_code(), 7);
  EXPECT_FALSE(t->oom_killed());
  EXPECT_NE(t->reason().find('7'), std::string::npos) << t->reason();
  EXPECT_TRUE(t->result_json().empty());
}

TEST_F(VpedTest, TimesOutTaskThatIgnoresSigtermWithinTimeoutPlusGrace) {
  // vped runs with --stop-grace 1s; the task ignores SIGTERM, so only the kill ends it.
  SubmitTaskRequest req = Python(
      "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
      "print('ignoring SIGTERM', flush=True)\ntime.sleep(120)\n");
  *req.mutable_timeout() = TimeUtil::SecondsToDuration(2);
  Task submitted = Submit(req);
  ASSERT_FALSE(submitted.id().empty());

  WatchTaskRequest w;
  w.set_id(submitted.id());
  steady_clock::time_point running_seen{}, terminal_seen{};
  WatchResult r = Watch(stub(), w, seconds(60), [&](const std::vector<TaskEvent>& evs) {
    const TaskEvent& e = evs.back();
    if (e.has_state() && e.state().state() == vpe::v1::RUNNING) running_seen = steady_clock::now();
    if (e.has_state() && IsTerminal(e.state().state())) terminal_seen = steady_clock::now();
    return false;
  });
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  ASSERT_NE(running_seen, steady_clock::time_point{}) << "no RUNNING event";
  ASSERT_NE(terminal_seen, steady_clock::time_point{}) << "no terminal event";
  double observed = std::chrono::duration<double>(terminal_seen - running_seen).count();

  auto t = GetTask(stub(), submitted.id());
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->state(), vpe::v1::TIMED_OUT) << Describe(*t);
  ASSERT_TRUE(t->has_started_at() && t->has_finished_at());
  double recorded = (Millis(t->finished_at()) - Millis(t->started_at())) / 1000.0;
  std::printf(
      "[ e2e ] timeout 2 s, grace 1 s: RUNNING->TIMED_OUT %.2f s seen by the watcher, "
      "%.2f s recorded\n",
      observed, recorded);
  // timeout + grace + 2 s of slack.
  EXPECT_LE(observed, 5.0);
  EXPECT_LE(recorded, 5.0);
  EXPECT_GE(recorded, 1.9) << "ended before its timeout";
}

TEST_F(VpedTest, CancelsRunningTaskAndRemovesItsContainer) {
  Task submitted = Submit(Request({"sleep", "300"}));
  auto running = WaitRunning(stub(), submitted.id());
  ASSERT_TRUE(running.ok()) << running.error().message;
  ASSERT_EQ(running->state(), vpe::v1::RUNNING) << Describe(*running);
  auto before =
      engine_->ListContainers(true, {{"label", {std::string(kLabelTask) + "=" + submitted.id()}}});
  ASSERT_TRUE(before.ok()) << before.error().ToString();
  EXPECT_EQ(before->size(), 1u) << "the running task's container is not on the engine";

  auto start = steady_clock::now();
  Task cancelled;
  grpc::Status s = CancelTask(stub(), submitted.id(), &cancelled);
  ASSERT_TRUE(s.ok()) << s.error_message();
  auto t = WaitTerminal(stub(), submitted.id(), seconds(30));
  ASSERT_TRUE(t.ok()) << t.error().message;
  double took = std::chrono::duration<double>(steady_clock::now() - start).count();
  EXPECT_EQ(t->state(), vpe::v1::CANCELLED) << Describe(*t);
  EXPECT_LE(took, 1.0 + 3.0) << "cancel took longer than the grace period plus 3 s";
  auto after =
      engine_->ListContainers(true, {{"label", {std::string(kLabelTask) + "=" + submitted.id()}}});
  ASSERT_TRUE(after.ok()) << after.error().ToString();
  EXPECT_TRUE(after->empty()) << "the cancelled task's container is still on the engine";
  // Cancel is idempotent on a terminal task.
  Task again;
  EXPECT_TRUE(CancelTask(stub(), submitted.id(), &again).ok());
  EXPECT_EQ(again.state(), vpe::v1::CANCELLED);
}

TEST_F(VpedTest, ReportsOomKillAsFailedWithOomKilled) {
  SubmitTaskRequest req =
      Python("print('allocating', flush=True)\nx = 'x' * (200 * 1024 * 1024)\nprint(len(x))\n");
  req.mutable_resources()->set_memory_bytes(32LL << 20);
  Task submitted = Submit(req);
  auto t = WaitTerminal(stub(), submitted.id());
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->state(), vpe::v1::FAILED) << Describe(*t);
  EXPECT_TRUE(t->oom_killed()) << Describe(*t);
  EXPECT_NE(t->exit_code(), 0);
  EXPECT_EQ(t->resources().memory_bytes(), 32LL << 20);
}

TEST_F(VpedTest, CapsHundredMegabyteLogOnDiskKeepingHeadAndTailWithBoundedMemory) {
  // 100 MB of 1000-byte lines between two distinctive lines; vped runs with --log-cap 1Mi.
  const std::string first = "FIRST-LINE-of-the-e2e-log";
  const std::string last = "LAST-LINE-of-the-e2e-log";
  SubmitTaskRequest req =
      Python("import sys\nw = sys.stdout.buffer.write\nw(b'" + first +
             "\\n')\n"
             "block = (b'y' * 999 + b'\\n') * 1000\nfor i in range(100):\n    w(block)\n"
             "w(b'" +
             last + "\\n')\nsys.stdout.flush()\n");
  *req.mutable_timeout() = TimeUtil::SecondsToDuration(180);
  auto start = steady_clock::now();
  Task submitted = Submit(req);
  auto t = WaitTerminal(stub(), submitted.id(), seconds(180));
  ASSERT_TRUE(t.ok()) << t.error().message;
  double took = std::chrono::duration<double>(steady_clock::now() - start).count();
  EXPECT_EQ(t->state(), vpe::v1::SUCCEEDED) << Describe(*t);
  const int64_t produced = static_cast<int64_t>(first.size() + last.size() + 2) + 100'000'000;
  EXPECT_EQ(t->log_bytes(), produced) << "log_bytes should count every byte the task wrote";

  const int64_t cap = 1 << 20;
  int64_t disk = DirBytes(vped_->state_dir() + "/logs/" + submitted.id());
  int64_t all_logs = DirBytes(vped_->state_dir() + "/logs");
  int64_t hwm = PeakRssBytes(vped_->pid());
  std::printf(
      "[ e2e ] 100 MB log: %.1f s, on disk %lld bytes (logs dir %lld), cap %lld, "
      "vped VmHWM %.1f MiB\n",
      took, static_cast<long long>(disk), static_cast<long long>(all_logs),
      static_cast<long long>(cap), hwm / 1048576.0);
  EXPECT_GT(disk, cap / 2) << "no log stored under " << vped_->state_dir() << "/logs/"
                           << submitted.id();
  // cap + one tail segment (cap/8 here) + record headers.
  EXPECT_LE(disk, cap + cap / 4 + (64 << 10));
  ASSERT_GT(hwm, 0);
  EXPECT_LT(hwm, 150LL << 20) << "vped's peak RSS";

  // Head and tail through the API, from offset 0.
  WatchTaskRequest w;
  w.set_id(submitted.id());
  w.set_logs(true);
  int64_t empty_chunks = 0;
  int64_t received = 0;
  WatchResult r = Watch(stub(), w, seconds(60), [&](const std::vector<TaskEvent>& evs) {
    const TaskEvent& e = evs.back();
    if (e.has_log()) {
      received += static_cast<int64_t>(e.log().data().size());
      if (e.log().data().empty()) ++empty_chunks;
    }
    // Past these the stream is not serving a 1 MiB log: stop rather than run away.
    return received > 16 * cap || empty_chunks > 1000;
  });
  EXPECT_FALSE(r.stopped_early) << "the watch of a capped log did not end: " << received
                                << " bytes and " << empty_chunks << " empty log chunks received";
  EXPECT_TRUE(r.status.ok() || r.stopped_early) << r.status.error_message();
  std::string data = LogData(r.events);
  EXPECT_EQ(data.rfind(first + "\n", 0), 0u)
      << "the head is not kept; data starts with: " << data.substr(0, 80);
  EXPECT_NE(data.find(last + "\n"), std::string::npos) << "the tail is not kept";
  EXPECT_LE(static_cast<int64_t>(data.size()), cap + (64 << 10));
  // Offsets increase and the last chunk ends at the task's total.
  int64_t last_end = 0;
  int backwards = 0;
  for (const auto& e : r.events) {
    if (!e.has_log()) continue;
    backwards += e.log().offset() < last_end;
    last_end = e.log().offset() + static_cast<int64_t>(e.log().data().size());
  }
  EXPECT_EQ(backwards, 0) << "log chunk offsets go backwards";
  EXPECT_EQ(last_end, t->log_bytes()) << "the last chunk should end at the task's log_bytes";
}

TEST_F(VpedTest, NeverRunsMoreThanMaxConcurrentContainersOnTheEngine) {
  // The shared vped runs with --max-concurrent 4.
  const int kTasks = 40;
  const std::string label = std::string(kLabelExecutor) + "=" + vped_->executor_id();
  EngineEvents events(engine_.get(), {{"type", {"container"}}, {"label", {label}}});
  // A second, independent look: what the engine lists as running, every 50 ms.
  std::atomic<bool> polling{true};
  std::atomic<int> polled_max{0};
  std::thread poller([&] {
    while (polling) {
      auto c = engine_->ListContainers(false, {{"label", {label}}});
      if (c.ok()) polled_max = std::max<int>(polled_max, static_cast<int>(c->size()));
      std::this_thread::sleep_for(milliseconds(50));
    }
  });

  auto start = steady_clock::now();
  std::vector<std::string> ids;
  for (int i = 0; i < kTasks; ++i) {
    Task t = Submit(Request({"sleep", "1"}));
    ASSERT_FALSE(t.id().empty());
    ids.push_back(t.id());
  }
  const std::set<std::string> tasks(ids.begin(), ids.end());
  int succeeded = 0;
  for (const auto& id : ids) {
    auto t = WaitTerminal(stub(), id, seconds(180));
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t->state(), vpe::v1::SUCCEEDED) << Describe(*t);
    if (t->state() == vpe::v1::SUCCEEDED) ++succeeded;
  }
  double took = std::chrono::duration<double>(steady_clock::now() - start).count();
  events.WaitFor("die", tasks, seconds(10));
  polling = false;
  poller.join();
  events.Stop();
  std::printf(
      "[ e2e ] %d tasks, --max-concurrent 4: %.1f s; max running on the engine: %d "
      "(events), %d (polled); starts %d, dies %d, creates %d\n",
      kTasks, took, events.MaxRunning(tasks), polled_max.load(), events.Count("start", tasks),
      events.Count("die", tasks), events.Count("create", tasks));
  EXPECT_EQ(events.error(), "");
  EXPECT_EQ(succeeded, kTasks);
  EXPECT_EQ(events.Count("create", tasks), kTasks);
  EXPECT_EQ(events.Count("start", tasks), kTasks);
  EXPECT_EQ(events.Count("die", tasks), kTasks);
  EXPECT_LE(events.MaxRunning(tasks), 4);
  EXPECT_EQ(events.MaxRunning(tasks), 4) << "the limit was never reached";
  EXPECT_LE(polled_max.load(), 4);
}

TEST_F(VpedTest, ResubmitWithSameTaskKeyReturnsSameTaskAndCreatesOneContainer) {
  const std::string label = std::string(kLabelExecutor) + "=" + vped_->executor_id();
  EngineEvents events(engine_.get(), {{"type", {"container"}}, {"label", {label}}});
  SubmitTaskRequest req = Request({"sleep", "1"});
  req.set_task_key("dag/run-" + RandomHex(4) + "/task/1");
  Task first = Submit(req);
  ASSERT_FALSE(first.id().empty());
  Task second = Submit(req);  // while queued or running
  EXPECT_EQ(second.id(), first.id());
  EXPECT_EQ(second.task_key(), req.task_key());
  auto done = WaitTerminal(stub(), first.id());
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_EQ(done->state(), vpe::v1::SUCCEEDED) << Describe(*done);
  Task third = Submit(req);  // after it finished
  EXPECT_EQ(third.id(), first.id());
  EXPECT_EQ(third.state(), vpe::v1::SUCCEEDED);

  ListTasksRequest lr;
  lr.set_page_size(1000);
  ListTasksResponse all;
  auto ctx = Context();
  ASSERT_TRUE(stub()->ListTasks(ctx.get(), lr, &all).ok());
  int with_key = 0;
  for (const auto& t : all.tasks()) with_key += t.task_key() == req.task_key();
  EXPECT_EQ(with_key, 1);

  std::this_thread::sleep_for(milliseconds(1000));  // a late second create would show by now
  events.Stop();
  EXPECT_EQ(events.Count("create", {first.id()}), 1);
  EXPECT_EQ(events.Count("start", {first.id()}), 1);
}

TEST_F(VpedTest, WatchResumesFromSeqAndOffsetWithoutGapsOrDuplicates) {
  std::string expected;
  for (int i = 0; i < 40; ++i) {
    char line[32];
    std::snprintf(line, sizeof(line), "line %03d\n", i);
    expected += line;
  }
  Task submitted =
      Submit(Python("import time\nfor i in range(40):\n    print(f'line {i:03d}', flush=True)\n"
                    "    time.sleep(0.05)\n"));
  ASSERT_FALSE(submitted.id().empty());

  WatchTaskRequest w;
  w.set_id(submitted.id());
  w.set_logs(true);
  // First call: stop once some lines but not all have arrived.
  WatchResult part = Watch(stub(), w, seconds(60), [](const std::vector<TaskEvent>& evs) {
    return LogData(evs).find("line 010\n") != std::string::npos;
  });
  ASSERT_TRUE(part.stopped_early) << "the task ended before the watch was cut; data: "
                                  << LogData(part.events);
  int64_t last_seq = 0;
  int64_t offset = 0;
  for (const auto& e : part.events) {
    if (e.has_state()) last_seq = e.seq();
    if (e.has_log()) {
      EXPECT_EQ(e.log().offset(), offset) << "a gap or overlap in the first call";
      offset = e.log().offset() + static_cast<int64_t>(e.log().data().size());
    }
  }
  std::string first_data = LogData(part.events);
  EXPECT_LT(first_data.size(), expected.size());

  w.set_after_seq(last_seq);
  w.set_log_offset(offset);
  WatchResult rest = Watch(stub(), w, seconds(60));
  ASSERT_TRUE(rest.status.ok()) << rest.status.error_message();
  for (const auto& e : rest.events) {
    if (e.has_log()) {
      EXPECT_EQ(e.log().offset(), offset) << "a gap or overlap after resuming";
      offset = e.log().offset() + static_cast<int64_t>(e.log().data().size());
    }
  }
  EXPECT_EQ(first_data + LogData(rest.events), expected);

  std::vector<int64_t> seqs;
  std::vector<TaskState> states;
  for (const auto* r : {&part, &rest}) {
    for (const auto& e : r->events) {
      if (!e.has_state()) continue;
      seqs.push_back(e.seq());
      states.push_back(e.state().state());
    }
  }
  ASSERT_FALSE(seqs.empty());
  EXPECT_GE(seqs.front(), 1);
  for (size_t i = 1; i < seqs.size(); ++i) {
    EXPECT_EQ(seqs[i], seqs[i - 1] + 1) << "state seqs not contiguous at " << i;
  }
  std::vector<TaskState> want = {vpe::v1::QUEUED, vpe::v1::PREPARING, vpe::v1::RUNNING,
                                 vpe::v1::SUCCEEDED};
  EXPECT_EQ(states, want);
  ASSERT_FALSE(rest.events.empty());
  EXPECT_TRUE(rest.events.back().has_state() &&
              rest.events.back().state().state() == vpe::v1::SUCCEEDED)
      << "the stream should end after the terminal state";
}

TEST_F(VpedTest, WatchOfAFinishedTaskFromItsLastSeqSendsTheLogAndEnds) {
  Task submitted = Submit(Python("print('line one')\nprint('line two')\n"));
  auto t = WaitTerminal(stub(), submitted.id());
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_EQ(t->state(), vpe::v1::SUCCEEDED) << Describe(*t);

  // Everything about the task has been seen: no state events remain, the log does.
  auto events = Watch(
      stub(),
      [&] {
        WatchTaskRequest req;
        req.set_id(submitted.id());
        req.set_after_seq(1000);
        req.set_logs(true);
        return req;
      }(),
      seconds(10));
  ASSERT_TRUE(events.status.ok()) << events.status.error_message();
  for (const TaskEvent& e : events.events) EXPECT_FALSE(e.has_state());
  EXPECT_EQ(LogData(events.events), "line one\nline two\n");

  // And from the end of the log: nothing at all, and still a prompt end.
  auto nothing = Watch(
      stub(),
      [&] {
        WatchTaskRequest req;
        req.set_id(submitted.id());
        req.set_after_seq(1000);
        req.set_log_offset(t->log_bytes());
        req.set_logs(true);
        return req;
      }(),
      seconds(10));
  ASSERT_TRUE(nothing.status.ok()) << nothing.status.error_message();
  EXPECT_TRUE(nothing.events.empty());
}

TEST_F(VpedTest, RemovesEveryContainerAfterTerminalStates) {
  const std::string label = std::string(kLabelExecutor) + "=" + vped_->executor_id();
  EngineEvents events(engine_.get(), {{"type", {"container"}}, {"label", {label}}});
  std::vector<std::string> ids;
  ids.push_back(Submit(Request({"true"})).id());
  ids.push_back(Submit(Request({"false"})).id());
  SubmitTaskRequest slow = Request({"sleep", "300"});
  *slow.mutable_timeout() = TimeUtil::SecondsToDuration(1);
  ids.push_back(Submit(slow).id());
  std::string to_cancel = Submit(Request({"sleep", "300"})).id();
  ids.push_back(to_cancel);
  ASSERT_TRUE(WaitRunning(stub(), to_cancel).ok());
  Task ignored;
  ASSERT_TRUE(CancelTask(stub(), to_cancel, &ignored).ok());
  std::set<TaskState> seen;
  for (const auto& id : ids) {
    auto t = WaitTerminal(stub(), id);
    ASSERT_TRUE(t.ok()) << t.error().message;
    seen.insert(t->state());
  }
  EXPECT_EQ(seen, (std::set<TaskState>{vpe::v1::SUCCEEDED, vpe::v1::FAILED, vpe::v1::TIMED_OUT,
                                       vpe::v1::CANCELLED}));
  auto left = engine_->ListContainers(true, {{"label", {label}}});
  ASSERT_TRUE(left.ok()) << left.error().ToString();
  EXPECT_TRUE(left->empty()) << left->size() << " container(s) left after terminal states";
  events.WaitFor("destroy", {ids.begin(), ids.end()}, seconds(5));
  events.Stop();
  for (const auto& id : ids) {
    EXPECT_EQ(events.Count("create", {id}), 1) << id;
    EXPECT_EQ(events.Count("destroy", {id}), 1) << "container of " << id << " not removed";
  }
}

TEST_F(VpedTest, SecretEnvNeverAppearsInLogsStoreOrTaskMessages) {
  const std::string secret = "e2e-secret-" + RandomHex(16);
  SubmitTaskRequest req = Python(
      "import hashlib, json, os\nv = os.environ['VPE_E2E_SECRET'].encode()\n"
      "json.dump({'len': len(v), 'sha256': hashlib.sha256(v).hexdigest()},"
      " open(os.environ['VPE_RESULT'], 'w'))\nprint('secret received')\n");
  (*req.mutable_secret_env())["VPE_E2E_SECRET"] = secret;
  (*req.mutable_env())["PLAIN"] = "visible";
  (*req.mutable_labels())["case"] = "secret";
  Task submitted = Submit(req);
  ASSERT_FALSE(submitted.id().empty());
  EXPECT_EQ(submitted.SerializeAsString().find(secret), std::string::npos);

  WatchTaskRequest w;
  w.set_id(submitted.id());
  w.set_logs(true);
  WatchResult r = Watch(stub(), w, seconds(60));
  ASSERT_TRUE(r.status.ok()) << r.status.error_message();
  for (const auto& e : r.events) {
    EXPECT_EQ(e.SerializeAsString().find(secret), std::string::npos)
        << "a watch event carries the secret: " << e.ShortDebugString();
  }
  auto t = GetTask(stub(), submitted.id());
  ASSERT_TRUE(t.ok()) << t.error().message;
  ASSERT_EQ(t->state(), vpe::v1::SUCCEEDED) << Describe(*t);
  EXPECT_EQ(t->SerializeAsString().find(secret), std::string::npos);
  EXPECT_EQ(std::vector<std::string>(t->secret_env_keys().begin(), t->secret_env_keys().end()),
            std::vector<std::string>{"VPE_E2E_SECRET"});
  EXPECT_EQ(t->env().count("VPE_E2E_SECRET"), 0u);

  // The task proves it got the value.
  auto result = nlohmann::json::parse(t->result_json(), nullptr, false);
  ASSERT_TRUE(result.is_object()) << t->result_json();
  EXPECT_EQ(result.value("len", -1), static_cast<int>(secret.size()));
  EXPECT_EQ(result.value("sha256", std::string()), Sha256Hex(secret));

  ListTasksRequest lr;
  lr.set_page_size(1000);
  ListTasksResponse all;
  auto ctx = Context();
  ASSERT_TRUE(stub()->ListTasks(ctx.get(), lr, &all).ok());
  EXPECT_GE(all.tasks_size(), 1);
  EXPECT_EQ(all.SerializeAsString().find(secret), std::string::npos) << "ListTasks leaks it";

  // vped's log lines.
  EXPECT_EQ(vped_->Output().find(secret), std::string::npos) << "vped logged the secret";
  // Every file of the state dir: the store (*.db, *.db-wal, *.db-shm) and the task logs.
  int db_files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(vped_->state_dir())) {
    if (!entry.is_regular_file()) continue;
    std::string path = entry.path().string();
    if (path.find(".db") != std::string::npos) ++db_files;
    EXPECT_EQ(ReadFileOrEmpty(path).find(secret), std::string::npos)
        << "the secret is stored in clear in " << path;
  }
  EXPECT_GE(db_files, 1) << "no *.db file in " << vped_->state_dir();
}

TEST_F(VpedTest, TaskContainerHasEveryHardeningDefault) {
  Task submitted = Submit(Request({"sleep", "300"}));
  auto running = WaitRunning(stub(), submitted.id());
  ASSERT_TRUE(running.ok()) << running.error().message;
  ASSERT_EQ(running->state(), vpe::v1::RUNNING) << Describe(*running);
  auto list =
      engine_->ListContainers(true, {{"label", {std::string(kLabelTask) + "=" + submitted.id()}}});
  ASSERT_TRUE(list.ok()) << list.error().ToString();
  ASSERT_EQ(list->size(), 1u);
  auto info = engine_->InspectContainer(list->front().id);
  ASSERT_TRUE(info.ok()) << info.error().ToString();
  const nlohmann::json& raw = info->raw;
  const nlohmann::json& hc = raw.at("HostConfig");
  const nlohmann::json& cfg = raw.at("Config");
  SCOPED_TRACE("HostConfig: " + hc.dump());

  EXPECT_EQ(JsonStrings(hc, "CapDrop"), std::vector<std::string>{"ALL"});
  EXPECT_TRUE(JsonStrings(hc, "CapAdd").empty());
  auto sec = JsonStrings(hc, "SecurityOpt");
  EXPECT_TRUE(std::any_of(sec.begin(), sec.end(), [](const std::string& s) {
    return s == "no-new-privileges" || s == "no-new-privileges:true" ||
           s == "no-new-privileges=true";
  })) << "SecurityOpt lacks no-new-privileges";
  EXPECT_FALSE(std::any_of(sec.begin(), sec.end(), [](const std::string& s) {
    return s.find("unconfined") != std::string::npos;
  })) << "the default seccomp/apparmor profile is off";
  EXPECT_TRUE(JsonBool(hc, "ReadonlyRootfs"));
  ASSERT_TRUE(hc.contains("Tmpfs") && hc["Tmpfs"].is_object());
  EXPECT_TRUE(hc["Tmpfs"].contains("/tmp"));
  EXPECT_EQ(hc.value("NetworkMode", ""), "none");
  EXPECT_GT(JsonInt(hc, "PidsLimit"), 0);
  EXPECT_GT(JsonInt(hc, "Memory"), 0);
  EXPECT_EQ(JsonInt(hc, "MemorySwap"), JsonInt(hc, "Memory"));
  EXPECT_GT(JsonInt(hc, "NanoCpus"), 0);
  std::string user = cfg.value("User", "");
  std::string uid = user.substr(0, user.find(':'));
  EXPECT_FALSE(uid.empty() || uid == "0" || uid == "root") << "User '" << user << "'";
  EXPECT_TRUE(JsonBool(hc, "Init"));
  ASSERT_TRUE(hc.contains("LogConfig"));
  EXPECT_EQ(hc["LogConfig"].value("Type", ""), "json-file");
  EXPECT_TRUE(hc["LogConfig"].contains("Config") && hc["LogConfig"]["Config"].contains("max-size"));
  EXPECT_FALSE(JsonBool(hc, "Privileged"));
  EXPECT_TRUE(JsonStrings(hc, "Binds").empty()) << "host bind mounts";
  if (hc.contains("Mounts") && hc["Mounts"].is_array()) {
    for (const auto& m : hc["Mounts"]) EXPECT_NE(m.value("Type", ""), "bind") << m.dump();
  }
  bool has_result_volume = false;
  for (const auto& m : raw.value("Mounts", nlohmann::json::array())) {
    EXPECT_NE(m.value("Type", ""), "bind") << "a host bind mount: " << m.dump();
    if (m.value("Destination", "") == "/vpe/out" && m.value("Type", "") == "volume") {
      has_result_volume = true;
    }
  }
  EXPECT_TRUE(has_result_volume) << "no volume at /vpe/out: "
                                 << raw.value("Mounts", nlohmann::json()).dump();
  EXPECT_EQ(info->labels["io.vpe.managed"], "true");
  EXPECT_EQ(info->labels[kLabelExecutor], vped_->executor_id());
  EXPECT_EQ(info->labels[kLabelTask], submitted.id());
  EXPECT_EQ(info->labels["io.vpe.env"], kEnv);

  Task ignored;
  ASSERT_TRUE(CancelTask(stub(), submitted.id(), &ignored).ok());
  auto t = WaitTerminal(stub(), submitted.id(), seconds(30));
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->state(), vpe::v1::CANCELLED);
}

TEST_F(VpedTest, BuildsAndListsEnvironmentsOverGrpc) {
  vpe::v1::BuildEnvironmentRequest breq;
  breq.set_name(kEnv);
  auto ctx = Context(seconds(300));
  auto reader = stub()->BuildEnvironment(ctx.get(), breq);
  vpe::v1::BuildEvent ev;
  std::optional<vpe::v1::Environment> done;
  while (reader->Read(&ev)) {
    if (ev.has_done()) done = ev.done();
  }
  grpc::Status s = reader->Finish();
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->name(), kEnv);
  EXPECT_EQ(done->image().rfind("vpe-env/e2e:", 0), 0u) << done->image();
  EXPECT_EQ(done->spec_hash().size(), 64u);
  EXPECT_TRUE(done->built());

  vpe::v1::ListEnvironmentsResponse list;
  auto lctx = Context();
  ASSERT_TRUE(stub()->ListEnvironments(lctx.get(), {}, &list).ok());
  bool found = false;
  for (const auto& e : list.environments()) {
    if (e.name() != kEnv) continue;
    found = true;
    EXPECT_EQ(e.image(), done->image());
    EXPECT_EQ(e.spec_hash(), done->spec_hash());
    EXPECT_TRUE(e.built());
  }
  EXPECT_TRUE(found);

  breq.set_name("no-such-env");
  auto nctx = Context();
  auto missing = stub()->BuildEnvironment(nctx.get(), breq);
  while (missing->Read(&ev)) {
  }
  s = missing->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_NE(s.error_message().find("no-such-env"), std::string::npos) << s.error_message();
}

TEST_F(VpedTest, ListsTasksByLabelAcrossPages) {
  const std::string run = std::to_string(getpid()) + "-" +
                          std::to_string(steady_clock::now().time_since_epoch().count());
  std::set<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    SubmitTaskRequest req = Request({"true"});
    (*req.mutable_labels())["list-run"] = run;
    ids.insert(Submit(req).id());
  }
  for (const auto& id : ids) ASSERT_TRUE(WaitTerminal(stub(), id).ok());

  ListTasksRequest req;
  (*req.mutable_labels())["list-run"] = run;
  req.set_page_size(2);
  req.add_states(vpe::v1::SUCCEEDED);
  std::set<std::string> seen;
  int pages = 0;
  do {
    ListTasksResponse resp;
    auto ctx = Context();
    grpc::Status s = stub()->ListTasks(ctx.get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    for (const auto& t : resp.tasks()) EXPECT_TRUE(seen.insert(t.id()).second) << t.id();
    req.set_page_token(resp.next_page_token());
    ++pages;
  } while (!req.page_token().empty() && pages < 10);
  EXPECT_EQ(seen, ids);
  EXPECT_EQ(pages, 2);

  req.set_page_token("not-a-token");
  ListTasksResponse resp;
  auto ctx = Context();
  grpc::Status s = stub()->ListTasks(ctx.get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("page_token"), std::string::npos) << s.error_message();
}

TEST_F(VpedTest, MissingEnvironmentIsInvalidArgumentNamingTheField) {
  SubmitTaskRequest req = Request({"true"});
  req.clear_environment();
  Task t;
  grpc::Status s = TrySubmit(stub(), req, &t);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("environment"), std::string::npos) << s.error_message();
}

TEST_F(VpedTest, UnknownEnvironmentIsNotFoundNamingIt) {
  SubmitTaskRequest req = Request({"true"});
  req.set_environment("no-such-env-" + RandomHex(3));
  Task t;
  grpc::Status s = TrySubmit(stub(), req, &t);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  EXPECT_NE(s.error_message().find(req.environment()), std::string::npos) << s.error_message();
}

TEST_F(VpedTest, UnknownTaskIdIsNotFound) {
  const std::string id = "no-such-task-" + RandomHex(4);
  {
    GetTaskRequest req;
    req.set_id(id);
    Task t;
    auto ctx = Context();
    grpc::Status s = stub()->GetTask(ctx.get(), req, &t);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << "GetTask: " << s.error_message();
  }
  {
    Task t;
    grpc::Status s = CancelTask(stub(), id, &t);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << "CancelTask: " << s.error_message();
  }
  {
    WatchTaskRequest req;
    req.set_id(id);
    WatchResult r = Watch(stub(), req, seconds(10));
    EXPECT_EQ(r.status.error_code(), grpc::StatusCode::NOT_FOUND)
        << "WatchTask: " << r.status.error_message();
    EXPECT_TRUE(r.events.empty());
  }
}

TEST_F(VpedTest, GrpcHealthServiceReportsServing) {
  // grpc.health.v1.Health/Check with an empty HealthCheckRequest (service ""), hand-encoded: no
  // health.proto ships with the distribution's gRPC.
  grpc::GenericStub generic(vped_->channel());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + seconds(10));
  grpc::Slice empty(std::string{});
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  generic.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                    [&done](grpc::Status s) { done.set_value(s); });
  grpc::Status s = done.get_future().get();
  ASSERT_TRUE(s.ok()) << s.error_code() << ": " << s.error_message();
  grpc::Slice slice;
  ASSERT_TRUE(response.DumpToSingleSlice(&slice).ok());
  std::string bytes(reinterpret_cast<const char*>(slice.begin()), slice.size());
  // HealthCheckResponse{status: SERVING (1)}: field 1, varint 1.
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));
}

TEST_F(VpedTest, ServerReflectionListsTheExecutorService) {
  // grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo is a bidi stream; one request
  // ServerReflectionRequest{list_services: ""} (field 7, empty string), hand-encoded.
  grpc::GenericStub generic(vped_->channel());
  grpc::CompletionQueue cq;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + seconds(10));
  auto call = generic.PrepareCall(
      &ctx, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  auto step = [&cq](intptr_t tag) {
    void* got = nullptr;
    bool ok = false;
    return cq.Next(&got, &ok) && ok && reinterpret_cast<intptr_t>(got) == tag;
  };
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(step(1));
  grpc::Slice req_slice(std::string("\x3a\x00", 2));
  grpc::ByteBuffer request(&req_slice, 1);
  call->Write(request, reinterpret_cast<void*>(2));
  ASSERT_TRUE(step(2));
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(3));
  ASSERT_TRUE(step(3));
  call->WritesDone(reinterpret_cast<void*>(4));
  ASSERT_TRUE(step(4));
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(5));
  ASSERT_TRUE(step(5));
  EXPECT_TRUE(status.ok()) << status.error_message();
  grpc::Slice slice;
  ASSERT_TRUE(response.DumpToSingleSlice(&slice).ok());
  std::string bytes(reinterpret_cast<const char*>(slice.begin()), slice.size());
  EXPECT_NE(bytes.find("vpe.v1.Executor"), std::string::npos);
  EXPECT_NE(bytes.find("grpc.health.v1.Health"), std::string::npos);
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
  }
}

TEST_F(VpedTest, HttpServesHealthzAndPrometheusMetrics) {
  // At least one finished task, so the duration histogram has a sample.
  Task done = Submit(Request({"true"}));
  ASSERT_TRUE(WaitTerminal(stub(), done.id()).ok());
  httplib::Client http("127.0.0.1", vped_->http_port());
  http.set_connection_timeout(5);
  http.set_read_timeout(10);
  auto health = http.Get("/healthz");
  ASSERT_TRUE(health) << "GET /healthz: " << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200) << health->body;
  auto metrics = http.Get("/metrics");
  ASSERT_TRUE(metrics) << "GET /metrics: " << httplib::to_string(metrics.error());
  EXPECT_EQ(metrics->status, 200);
  const std::string& body = metrics->body;
  EXPECT_NE(body.find("vpe_tasks{"), std::string::npos) << body;
  EXPECT_NE(body.find("vpe_task_duration_seconds_bucket"), std::string::npos) << body;
  EXPECT_NE(body.find("vpe_task_duration_seconds_count"), std::string::npos) << body;
  EXPECT_NE(body.find("vpe_tasks{state=\"SUCCEEDED\"}"), std::string::npos) << body;
  auto missing = http.Get("/no-such-page");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

// Tests that need vped flags of their own.
class VpedDedicatedTest : public VpedTestBase {
 protected:
  void SetUp() override {
    if (!engine_) {
      auto engine = ConnectEngine();
      ASSERT_TRUE(engine.ok()) << engine.error().message;
      engine_ = std::move(engine).value();
    }
  }
};

TEST_F(VpedDedicatedTest, RequiresTheBearerTokenWhenConfigured) {
  std::string token_file = ::testing::TempDir() + "/vped-token-" + std::to_string(getpid());
  { std::ofstream(token_file) << "e2e-token-0123456789\n"; }
  auto v = VpedProcess::Start({"--auth-token-file", token_file});
  ASSERT_TRUE(v.ok()) << v.error().message;
  std::unique_ptr<VpedProcess> vped = std::move(v).value();
  auto stub = Executor::NewStub(vped->channel());

  GetTaskRequest req;
  req.set_id("t-0000000000000000");
  Task out;
  auto anonymous = Context();
  grpc::Status s = stub->GetTask(anonymous.get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  auto wrong = Context();
  wrong->AddMetadata("authorization", "Bearer e2e-token-0123456788");
  s = stub->GetTask(wrong.get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED) << s.error_message();
  auto right = Context();
  right->AddMetadata("authorization", "Bearer e2e-token-0123456789");
  s = stub->GetTask(right.get(), req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();

  auto code = vped->Stop();
  EXPECT_TRUE(code.ok() && *code == 0);
  std::remove(token_file.c_str());
}

TEST_F(VpedDedicatedTest, RestartLeavesRunningTaskRunningThenAdoptsAndFinishesIt) {
  auto v = VpedProcess::Start({"--max-concurrent", "1", "--stop-grace", "1s"});
  ASSERT_TRUE(v.ok()) << v.error().message;
  std::unique_ptr<VpedProcess> vped = std::move(v).value();
  auto stub = Executor::NewStub(vped->channel());

  // One task running across the restart, one queued behind it (a single slot).
  Task running =
      Submit(stub.get(), Python("import os, time\nprint('before', flush=True)\n"
                                "time.sleep(4)\nprint('after')\n"
                                "open(os.environ['VPE_RESULT'], 'w').write('{\"ok\": 1}')\n"));
  auto r = WaitRunning(stub.get(), running.id());
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->state(), vpe::v1::RUNNING);
  Task queued = Submit(stub.get(), Request({"true"}));

  ASSERT_TRUE(vped->Restart().ok()) << vped->OutputTail();
  // SIGTERM left the container running for the next vped.
  stub = Executor::NewStub(vped->channel());
  auto done = WaitTerminal(stub.get(), running.id(), seconds(60));
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_EQ(done->state(), vpe::v1::SUCCEEDED) << Describe(*done);
  EXPECT_EQ(done->result_json(), "{\"ok\": 1}");
  auto q = WaitTerminal(stub.get(), queued.id(), seconds(60));
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_EQ(q->state(), vpe::v1::SUCCEEDED) << Describe(*q);
  EXPECT_NE(vped->Output().find("event=container_adopted task=" + running.id()), std::string::npos)
      << vped->OutputTail();

  // States were never repeated or skipped across the restart.
  WatchTaskRequest wreq;
  wreq.set_id(running.id());
  wreq.set_logs(true);
  auto w = Watch(stub.get(), wreq, seconds(10));
  ASSERT_TRUE(w.status.ok()) << w.status.error_message();
  std::vector<std::string> states;
  int64_t last = 0;
  for (const auto& e : w.events) {
    if (!e.has_state()) continue;
    EXPECT_EQ(e.seq(), last + 1);
    last = e.seq();
    states.push_back(TaskState_Name(e.state().state()));
  }
  EXPECT_EQ(states, (std::vector<std::string>{"QUEUED", "PREPARING", "RUNNING", "SUCCEEDED"}));
  EXPECT_NE(LogData(w.events).find("before\n"), std::string::npos);
  EXPECT_NE(LogData(w.events).find("after\n"), std::string::npos);

  CheckLeftovers(stub.get(), vped->executor_id());
  auto code = vped->Stop();
  EXPECT_TRUE(code.ok() && *code == 0);
  std::string listing;
  EXPECT_EQ(RemoveAllContainers(engine_.get(), vped->executor_id(), &listing), 0) << listing;
  if (HasFailure()) std::printf("[ e2e ] vped output:\n%s\n", vped->OutputTail(60).c_str());
}

TEST_F(VpedDedicatedTest, ReapsLeftoverContainersOfUnknownTasks) {
  auto v = VpedProcess::Start({"--reap-interval", "1s"});
  ASSERT_TRUE(v.ok()) << v.error().message;
  std::unique_ptr<VpedProcess> vped = std::move(v).value();

  // A container with this executor's labels that no task in the store owns (as a crash between
  // create and recording the container id would leave).
  vpe::docker::ContainerSpec spec;
  spec.image = "vpe/debian:bookworm";
  spec.cmd = {"sleep", "300"};
  spec.labels = {{"io.vpe.managed", "true"},
                 {"io.vpe.executor", vped->executor_id()},
                 {"io.vpe.task", "t-00000000deadbeef"}};
  auto created = engine_->CreateContainer(spec);
  ASSERT_TRUE(created.ok()) << created.error().message;
  ASSERT_TRUE(engine_->StartContainer(created->id).ok());

  auto deadline = steady_clock::now() + seconds(20);
  bool gone = false;
  while (!gone && steady_clock::now() < deadline) {
    gone = !engine_->InspectContainer(created->id).ok();
    if (!gone) std::this_thread::sleep_for(milliseconds(200));
  }
  EXPECT_TRUE(gone) << "the reaper did not remove " << created->id << "\n" << vped->OutputTail();
  EXPECT_NE(vped->Output().find("event=container_reaped task=t-00000000deadbeef"),
            std::string::npos);
  if (!gone) (void)engine_->RemoveContainer(created->id, true, true);
  auto code = vped->Stop();
  EXPECT_TRUE(code.ok() && *code == 0);
}

TEST_F(VpedDedicatedTest, FullQueueIsResourceExhausted) {
  auto v =
      VpedProcess::Start({"--max-concurrent", "1", "--queue-limit", "1", "--stop-grace", "1s"});
  ASSERT_TRUE(v.ok()) << v.error().message;
  std::unique_ptr<VpedProcess> vped = std::move(v).value();
  auto stub = Executor::NewStub(vped->channel());

  Task running = Submit(stub.get(), Request({"sleep", "300"}));
  auto r = WaitRunning(stub.get(), running.id());
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->state(), vpe::v1::RUNNING) << Describe(*r);
  Task queued = Submit(stub.get(), Request({"sleep", "300"}));
  EXPECT_EQ(queued.state(), vpe::v1::QUEUED);
  Task rejected;
  grpc::Status s = TrySubmit(stub.get(), Request({"true"}), &rejected);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  EXPECT_TRUE(rejected.id().empty());

  // A cancelled queued task frees its place without ever getting a container.
  Task c;
  ASSERT_TRUE(CancelTask(stub.get(), queued.id(), &c).ok());
  auto qt = WaitTerminal(stub.get(), queued.id(), seconds(10));
  ASSERT_TRUE(qt.ok()) << qt.error().message;
  EXPECT_EQ(qt->state(), vpe::v1::CANCELLED);
  EXPECT_TRUE(qt->container_id().empty());
  ASSERT_TRUE(CancelTask(stub.get(), running.id(), &c).ok());
  auto rt = WaitTerminal(stub.get(), running.id(), seconds(30));
  ASSERT_TRUE(rt.ok()) << rt.error().message;
  EXPECT_EQ(rt->state(), vpe::v1::CANCELLED);

  CheckLeftovers(stub.get(), vped->executor_id());
  auto code = vped->Stop();
  EXPECT_TRUE(code.ok() && *code == 0)
      << "SIGTERM: " << (code.ok() ? std::to_string(*code) : code.error().message);
  std::string listing;
  EXPECT_EQ(RemoveAllContainers(engine_.get(), vped->executor_id(), &listing), 0) << listing;
  if (HasFailure()) std::printf("[ e2e ] vped output:\n%s\n", vped->OutputTail(60).c_str());
}

// Start-up errors: a non-zero exit and one clear message, quickly.
class VpedStartupTest : public ::testing::Test {
 protected:
  std::vector<std::string> BaseArgs(const std::string& dir) {
    return {"--listen",    "127.0.0.1:0",  "--http-listen", "127.0.0.1:0",
            "--specs-dir", SpecsDir(),     "--executor-id", "e2e-startup-" + RandomHex(4),
            "--state-dir", dir + "/state", "--docker-host", DockerHost()};
  }
  // Sets flag `name` in `args` to `value`.
  static void SetFlag(std::vector<std::string>* args, const std::string& name,
                      const std::string& value) {
    auto it = std::find(args->begin(), args->end(), name);
    if (it != args->end())
      *(it + 1) = value;
    else
      args->insert(args->end(), {name, value});
  }
  void SetUp() override { ASSERT_FALSE(DockerHost().empty()) << "DOCKER_HOST is not set"; }
};

TEST_F(VpedStartupTest, FailsClearlyWhenEngineIsUnreachable) {
  std::string dir = MakeTempDir("vped-e2e-startup");
  auto args = BaseArgs(dir);
  SetFlag(&args, "--docker-host", "unix:///nonexistent.sock");
  ExitedRun run = RunVpedToExit(args, seconds(30));
  ASSERT_TRUE(run.exited) << "vped kept running with no engine; output:\n" << run.output;
  EXPECT_NE(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("/nonexistent.sock"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("ngine"), std::string::npos) << "should say it is the engine:\n"
                                                         << run.output;
  EXPECT_EQ(run.output.find("vped: listening on"), std::string::npos) << run.output;
}

TEST_F(VpedStartupTest, FailsClearlyWhenStateDirIsNotWritable) {
  std::string dir = MakeTempDir("vped-e2e-startup");
  std::ofstream(dir + "/a-file") << "not a directory";
  auto args = BaseArgs(dir);
  std::string state = dir + "/a-file/state";
  SetFlag(&args, "--state-dir", state);
  ExitedRun run = RunVpedToExit(args, seconds(30));
  ASSERT_TRUE(run.exited) << "vped kept running; output:\n" << run.output;
  EXPECT_NE(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find(state), std::string::npos) << "should name the state dir:\n"
                                                       << run.output;
  EXPECT_EQ(run.output.find("vped: listening on"), std::string::npos) << run.output;
}

TEST_F(VpedStartupTest, FailsClearlyWhenPortIsTaken) {
  // A listening socket without SO_REUSEPORT holds the port.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int port = ntohs(addr.sin_port);

  std::string dir = MakeTempDir("vped-e2e-startup");
  auto args = BaseArgs(dir);
  SetFlag(&args, "--listen", "127.0.0.1:" + std::to_string(port));
  ExitedRun run = RunVpedToExit(args, seconds(30));
  close(fd);
  ASSERT_TRUE(run.exited) << "vped kept running on a taken port; output:\n" << run.output;
  EXPECT_NE(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("127.0.0.1:" + std::to_string(port)), std::string::npos)
      << "should name the address:\n"
      << run.output;
  EXPECT_NE(run.output.find("port"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace vpe::e2e
