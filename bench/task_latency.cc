// End-to-end latency of a trivial task (`true`) through a running vped, next to
// `docker run --rm --network none` of the same image, measured in the same run.
//
// vped: SubmitTask, then WatchTask until the terminal state (SUCCEEDED required); the clock runs
// from just before the submit to the terminal event. docker run: the whole CLI process, started
// with DOCKER_HOST from the environment. Each side gets `--warmup` unmeasured runs first, then
// `--n` measured ones. Prints median and p90 of each and the ratio of the medians.
//
//   vpe_bench_latency --server 127.0.0.1:50051 [--env e2e] [--n 20] [--warmup 2]
//                     [--docker /usr/bin/docker]

#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "vpe/v1/executor.grpc.pb.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string server = "127.0.0.1:50051";
  std::string env = "e2e";
  std::string docker = "/usr/bin/docker";
  int n = 20;
  int warmup = 2;
};

bool ParseArgs(int argc, char** argv, Options* o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "--server" && next(&v)) {
      o->server = v;
    } else if (a == "--env" && next(&v)) {
      o->env = v;
    } else if (a == "--docker" && next(&v)) {
      o->docker = v;
    } else if (a == "--n" && next(&v)) {
      o->n = std::atoi(v.c_str());
    } else if (a == "--warmup" && next(&v)) {
      o->warmup = std::atoi(v.c_str());
    } else {
      std::fprintf(stderr,
                   "usage: %s --server HOST:PORT [--env NAME] [--n N] [--warmup N] "
                   "[--docker PATH]\n",
                   argv[0]);
      return false;
    }
  }
  return o->n > 0 && o->warmup >= 0;
}

bool IsTerminal(vpe::v1::TaskState s) {
  return s == vpe::v1::SUCCEEDED || s == vpe::v1::FAILED || s == vpe::v1::TIMED_OUT ||
         s == vpe::v1::CANCELLED || s == vpe::v1::LOST;
}

// One task through vped; seconds, or < 0 on failure (printed). Sets *image on success.
double RunViaVped(vpe::v1::Executor::Stub* stub, const std::string& env, std::string* image) {
  vpe::v1::SubmitTaskRequest req;
  req.set_environment(env);
  req.add_command("true");
  auto start = Clock::now();
  vpe::v1::Task task;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    grpc::Status s = stub->SubmitTask(&ctx, req, &task);
    if (!s.ok()) {
      std::fprintf(stderr, "SubmitTask: %d %s\n", s.error_code(), s.error_message().c_str());
      return -1;
    }
  }
  vpe::v1::WatchTaskRequest w;
  w.set_id(task.id());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  auto reader = stub->WatchTask(&ctx, w);
  vpe::v1::TaskEvent ev;
  vpe::v1::TaskState final_state = vpe::v1::TASK_STATE_UNSPECIFIED;
  std::string reason;
  double took = -1;
  while (reader->Read(&ev)) {
    if (ev.has_state() && IsTerminal(ev.state().state())) {
      took = std::chrono::duration<double>(Clock::now() - start).count();
      final_state = ev.state().state();
      reason = ev.state().reason();
      *image = ev.state().task().image();
    }
  }
  grpc::Status s = reader->Finish();
  if (!s.ok() || final_state != vpe::v1::SUCCEEDED) {
    std::fprintf(stderr, "task %s: %s %s (watch: %d %s)\n", task.id().c_str(),
                 vpe::v1::TaskState_Name(final_state).c_str(), reason.c_str(), s.error_code(),
                 s.error_message().c_str());
    return -1;
  }
  return took;
}

// One `docker run --rm --network none IMAGE true`; seconds, or < 0 on failure.
double RunViaDocker(const std::string& docker, const std::string& image) {
  std::vector<std::string> argv = {docker, "run", "--rm", "--network", "none", image, "true"};
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  auto start = Clock::now();
  pid_t pid = -1;
  int rc = posix_spawn(&pid, docker.c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    std::fprintf(stderr, "cannot run %s: %s\n", docker.c_str(), std::strerror(rc));
    return -1;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  double took = std::chrono::duration<double>(Clock::now() - start).count();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "docker run exited with status %d\n", status);
    return -1;
  }
  return took;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  // Nearest rank.
  size_t rank = static_cast<size_t>(p * static_cast<double>(v.size()) + 0.999999);
  rank = std::clamp<size_t>(rank, 1, v.size());
  return v[rank - 1];
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseArgs(argc, argv, &o)) return 2;
  if (!std::getenv("DOCKER_HOST")) {
    std::fprintf(stderr, "DOCKER_HOST is not set (the engine vped uses, for docker run)\n");
    return 2;
  }
  auto channel = grpc::CreateChannel(o.server, grpc::InsecureChannelCredentials());
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    std::fprintf(stderr, "no gRPC connection to vped at %s\n", o.server.c_str());
    return 1;
  }
  auto stub = vpe::v1::Executor::NewStub(channel);

  // vped first: its first task also builds (or finds) the environment's image, which the docker
  // run side then uses.
  std::string image;
  std::vector<double> vped, docker;
  for (int i = 0; i < o.warmup + o.n; ++i) {
    double s = RunViaVped(stub.get(), o.env, &image);
    if (s < 0) return 1;
    if (i >= o.warmup) vped.push_back(s);
  }
  for (int i = 0; i < o.warmup + o.n; ++i) {
    double s = RunViaDocker(o.docker, image);
    if (s < 0) return 1;
    if (i >= o.warmup) docker.push_back(s);
  }
  double vm = Median(vped), dm = Median(docker);
  std::printf("trivial task (`true`) end to end, image %s, N=%d after %d warm-ups\n", image.c_str(),
              o.n, o.warmup);
  std::printf("  vped (SubmitTask -> SUCCEEDED over gRPC): median %.3f s  p90 %.3f s\n", vm,
              Percentile(vped, 0.9));
  std::printf("  docker run --rm --network none:            median %.3f s  p90 %.3f s\n", dm,
              Percentile(docker, 0.9));
  std::printf("  ratio vped / docker run (medians):         %.2fx\n", vm / dm);
  return 0;
}
