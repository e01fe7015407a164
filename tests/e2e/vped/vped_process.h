#pragma once
// A real vped subprocess for end-to-end tests: a fresh state dir, a unique executor id, ports
// chosen by the kernel (port 0, read back from vped's "listening on" lines) and its stdout and
// stderr captured to a file, so a failing test can show what vped said.

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace vpe::e2e {

// The vped binary and the test specs dir, from the build (compile definitions).
std::string VpedPath();
std::string SpecsDir();

// DOCKER_HOST, or "" when unset.
std::string DockerHost();

// Lowercase hex of `bytes` random bytes.
std::string RandomHex(int bytes);

// A new directory under $TMPDIR (or /tmp); never removed automatically, so a failure can be
// inspected. Aborts the test binary only if /tmp itself is unusable.
std::string MakeTempDir(const std::string& prefix);

std::string ReadFileOrEmpty(const std::string& path);

// Starts `argv` (argv[0] is the path) with stdin from /dev/null and stdout+stderr appended to
// `output_path`. Returns the pid, or an error naming the binary.
Result<pid_t> Spawn(const std::vector<std::string>& argv, const std::string& output_path);

// Waits for `pid` up to `timeout`. Returns the wait status, or kDeadlineExceeded (the process is
// still running).
Result<int> WaitPid(pid_t pid, std::chrono::milliseconds timeout);

// What a short-lived vped did (start-up error tests).
struct ExitedRun {
  bool exited = false;  // false: still running at the deadline (it was killed)
  int exit_code = -1;   // WEXITSTATUS, or 128 + signal
  std::string output;   // stdout and stderr, interleaved
};
ExitedRun RunVpedToExit(const std::vector<std::string>& args, std::chrono::seconds timeout);

class VpedProcess {
 public:
  // Starts vped with a fresh state dir and executor id, --listen/--http-listen on port 0,
  // --docker-host $DOCKER_HOST and --specs-dir SpecsDir(), plus `extra_args`. Returns once both
  // ports are printed; an error carries vped's output when it exits or stays silent.
  static Result<std::unique_ptr<VpedProcess>> Start(const std::vector<std::string>& extra_args);

  // Stops vped (SIGKILL if it ignores SIGTERM); no checks. Use Stop() to check the exit.
  ~VpedProcess();
  VpedProcess(const VpedProcess&) = delete;
  VpedProcess& operator=(const VpedProcess&) = delete;

  // SIGTERM, then waits up to `timeout` (SIGKILL past it). Returns the exit code, or an error
  // when vped had to be killed or died of a signal.
  Result<int> Stop(std::chrono::milliseconds timeout = std::chrono::seconds(20));

  // Stops vped with SIGTERM (checking a clean exit) and starts it again on the same state dir,
  // executor id and flags, as an operator's restart would; new ports are read back.
  Status Restart();

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int port() const { return port_; }
  int http_port() const { return http_port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& executor_id() const { return executor_id_; }
  const std::string& dir() const { return dir_; }              // holds state/ and vped.log
  const std::string& state_dir() const { return state_dir_; }  // --state-dir
  const std::string& log_path() const { return log_path_; }    // vped's stdout and stderr
  std::string Output() const { return ReadFileOrEmpty(log_path_); }
  // The last `lines` lines of vped's output, for failure messages.
  std::string OutputTail(size_t lines = 40) const;

  std::shared_ptr<grpc::Channel> channel() const { return channel_; }

 private:
  VpedProcess() = default;
  // Spawns vped with argv_ and waits for both ports in the output written after the spawn.
  Status Launch();

  pid_t pid_ = -1;
  int port_ = 0;
  int http_port_ = 0;
  std::string executor_id_;
  std::string dir_;
  std::string state_dir_;
  std::string log_path_;
  std::shared_ptr<grpc::Channel> channel_;
  std::vector<std::string> argv_;
};

}  // namespace vpe::e2e
