#include "tests/e2e/vped/vped_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

extern char** environ;

namespace vpe::e2e {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

int ExitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Finds "<prefix>HOST:PORT" in `text`; 0 when absent.
int FindPort(const std::string& text, const std::string& prefix) {
  std::regex re(prefix + R"(([0-9.]+|\[[0-9a-f:]+\]|localhost):([0-9]+))");
  std::smatch m;
  if (!std::regex_search(text, m, re)) return 0;
  return std::stoi(m[2].str());
}

}  // namespace

std::string VpedPath() {
#ifdef VPED_PATH
  return VPED_PATH;
#else
  return "vped";
#endif
}

std::string SpecsDir() {
#ifdef VPE_E2E_SPECS_DIR
  return VPE_E2E_SPECS_DIR;
#else
  return "tests/e2e/vped/specs";
#endif
}

std::string DockerHost() {
  const char* v = std::getenv("DOCKER_HOST");
  return v ? v : "";
}

std::string RandomHex(int bytes) {
  static std::mutex mu;
  static std::mt19937_64 rng(std::random_device{}() ^
                             static_cast<uint64_t>(steady_clock::now().time_since_epoch().count()) ^
                             static_cast<uint64_t>(getpid()));
  std::lock_guard<std::mutex> lock(mu);
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < bytes; ++i) {
    auto b = static_cast<unsigned>(rng() & 0xff);
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

std::string MakeTempDir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    std::fprintf(stderr, "mkdtemp(%s): %s\n", pattern.c_str(), std::strerror(errno));
    std::abort();
  }
  return buf.data();
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<pid_t> Spawn(const std::vector<std::string>& argv, const std::string& output_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return Error(ErrorCode::kInternal, "cannot start " + argv[0] + ": " + std::strerror(rc) +
                                           " (is the vped target built?)");
  }
  return pid;
}

Result<int> WaitPid(pid_t pid, milliseconds timeout) {
  auto deadline = steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0) return Error(ErrorCode::kInternal, std::string("waitpid: ") + std::strerror(errno));
    if (steady_clock::now() >= deadline) {
      return Error(ErrorCode::kDeadlineExceeded, "process " + std::to_string(pid) + " still runs");
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
}

ExitedRun RunVpedToExit(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  ExitedRun run;
  std::string dir = MakeTempDir("vped-e2e-run");
  std::string out = dir + "/vped.log";
  std::vector<std::string> argv = {VpedPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto pid = Spawn(argv, out);
  if (!pid.ok()) {
    run.output = pid.error().message;
    return run;
  }
  auto status = WaitPid(*pid, timeout);
  if (status.ok()) {
    run.exited = true;
    run.exit_code = ExitCodeOf(*status);
  } else {
    kill(*pid, SIGKILL);
    (void)WaitPid(*pid, std::chrono::seconds(10));
  }
  run.output = ReadFileOrEmpty(out);
  return run;
}

Result<std::unique_ptr<VpedProcess>> VpedProcess::Start(
    const std::vector<std::string>& extra_args) {
  std::string docker_host = DockerHost();
  if (docker_host.empty()) {
    return Error(ErrorCode::kFailedPrecondition,
                 "DOCKER_HOST is not set: the e2e tests need a real engine (scripts/engine.sh "
                 "start; export DOCKER_HOST=$(scripts/engine.sh host))");
  }
  std::unique_ptr<VpedProcess> p(new VpedProcess());
  p->dir_ = MakeTempDir("vped-e2e");
  p->state_dir_ = p->dir_ + "/state";
  p->log_path_ = p->dir_ + "/vped.log";
  p->executor_id_ = "e2e-" + RandomHex(6);
  const std::vector<std::pair<std::string, std::string>> flags = {
      {"--listen", "127.0.0.1:0"},    {"--http-listen", "127.0.0.1:0"},
      {"--docker-host", docker_host}, {"--state-dir", p->state_dir_},
      {"--specs-dir", SpecsDir()},    {"--executor-id", p->executor_id_}};
  p->argv_ = {VpedPath()};
  for (const auto& [flag, value] : flags) p->argv_.insert(p->argv_.end(), {flag, value});
  p->argv_.insert(p->argv_.end(), extra_args.begin(), extra_args.end());
  if (Status s = p->Launch(); !s.ok()) return s.error();
  return p;
}

Status VpedProcess::Launch() {
  const size_t before = Output().size();  // the log is appended to across restarts
  auto pid = Spawn(argv_, log_path_);
  if (!pid.ok()) return pid.error();
  pid_ = *pid;
  port_ = 0;
  http_port_ = 0;

  auto deadline = steady_clock::now() + std::chrono::seconds(60);
  while (port_ == 0 || http_port_ == 0) {
    std::string all = Output();
    std::string out = all.size() > before ? all.substr(before) : std::string();
    port_ = FindPort(out, "vped: listening on ");
    http_port_ = FindPort(out, "vped: http on ");
    if (port_ != 0 && http_port_ != 0) break;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return Error(ErrorCode::kInternal, "vped exited with code " +
                                             std::to_string(ExitCodeOf(status)) +
                                             " during start-up; its output:\n" + out);
    }
    if (steady_clock::now() > deadline) {
      return Error(
          ErrorCode::kDeadlineExceeded,
          "vped printed no 'listening on' and 'http on' lines within 60 s; output:\n" + out);
    }
    std::this_thread::sleep_for(milliseconds(25));
  }
  channel_ = grpc::CreateChannel(address(), grpc::InsecureChannelCredentials());
  if (!channel_->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    return Error(ErrorCode::kUnavailable, "no gRPC connection to vped at " + address() +
                                              " within 10 s; output:\n" + Output());
  }
  return OkStatus();
}

Status VpedProcess::Restart() {
  auto code = Stop();
  if (!code.ok()) return code.error();
  if (*code != 0) {
    return Error(ErrorCode::kInternal, "vped exited with " + std::to_string(*code) + " on SIGTERM");
  }
  return Launch();
}

VpedProcess::~VpedProcess() {
  if (pid_ > 0) (void)Stop(std::chrono::seconds(10));
}

Result<int> VpedProcess::Stop(milliseconds timeout) {
  if (pid_ <= 0) return Error(ErrorCode::kFailedPrecondition, "vped is not running");
  pid_t pid = pid_;
  pid_ = -1;
  channel_.reset();
  kill(pid, SIGTERM);
  auto status = WaitPid(pid, timeout);
  if (!status.ok()) {
    kill(pid, SIGKILL);
    (void)WaitPid(pid, std::chrono::seconds(10));
    return Error(
        ErrorCode::kDeadlineExceeded,
        "vped did not exit within " + std::to_string(timeout.count()) + " ms of SIGTERM (killed)");
  }
  if (WIFSIGNALED(*status)) {
    return Error(ErrorCode::kInternal,
                 "vped died of signal " + std::to_string(WTERMSIG(*status)) + " after SIGTERM");
  }
  return ExitCodeOf(*status);
}

std::string VpedProcess::OutputTail(size_t lines) const {
  std::string out = Output();
  size_t pos = out.size();
  if (pos > 0 && out[pos - 1] == '\n') --pos;
  size_t found = 0;
  while (pos > 0) {
    size_t nl = out.rfind('\n', pos - 1);
    if (nl == std::string::npos) return out;
    if (++found == lines) return out.substr(nl + 1);
    pos = nl;
  }
  return out;
}

}  // namespace vpe::e2e
