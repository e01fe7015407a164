// Logs: stream separation and order, follow, TTY, cancellation, bounded memory on big output.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <future>
#include <string>
#include <thread>

#include "tests/integration/docker_api/engine_fixture.h"

namespace vpe::docker::testing {
namespace {

class LogsTest : public EngineTest {};

// kB value of a /proc/self/status field (VmRSS, VmHWM).
int64_t ProcStatusKb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1));
  }
  return -1;
}

std::string Numbered(const std::string& prefix, int n) {
  std::string s;
  for (int i = 1; i <= n; ++i) s += prefix + std::to_string(i) + "\n";
  return s;
}

TEST_F(LogsTest, SeparatesStdoutAndStderrInOrder) {
  std::string id;
  auto code = RunToExit(
      Shell("i=1; while [ $i -le 200 ]; do echo out$i; echo err$i >&2; i=$((i+1)); done"), &id);
  ASSERT_OK(code);
  ASSERT_EQ(*code, 0);
  std::string out, err;
  ASSERT_OK(ReadLogs(id, &out, &err));
  EXPECT_EQ(out, Numbered("out", 200));
  EXPECT_EQ(err, Numbered("err", 200));

  LogOptions only_err;
  only_err.stdout_stream = false;
  std::string err_only;
  ASSERT_OK(engine_->Logs(id, only_err, [&](StreamKind kind, std::string_view data) {
    EXPECT_EQ(kind, StreamKind::kStderr);
    err_only.append(data);
    return true;
  }));
  EXPECT_EQ(err_only, err);

  // tail counts the last lines of the whole log (both streams), as the engine stores them.
  LogOptions tail;
  tail.tail = "3";
  std::string tail_out, tail_err;
  ASSERT_OK(engine_->Logs(id, tail, [&](StreamKind kind, std::string_view d) {
    (kind == StreamKind::kStderr ? tail_err : tail_out).append(d);
    return true;
  }));
  const std::string recent = tail_out + tail_err;
  EXPECT_EQ(std::count(recent.begin(), recent.end(), '\n'), 3) << recent;
  // Each stream's part is the end of that stream.
  EXPECT_EQ(out.substr(out.size() - tail_out.size()), tail_out);
  EXPECT_EQ(err.substr(err.size() - tail_err.size()), tail_err);
}

TEST_F(LogsTest, TimestampsPrefixEveryLine) {
  std::string id;
  ASSERT_OK(RunToExit(Shell("echo a; echo b"), &id));
  LogOptions options;
  options.timestamps = true;
  std::string out;
  ASSERT_OK(engine_->Logs(id, options, [&](StreamKind, std::string_view d) {
    out.append(d);
    return true;
  }));
  // "2026-12-04T20:16:40.202231250Z a\n..."
  ASSERT_GE(out.size(), 4u);
  EXPECT_EQ(out.substr(out.find(' ') + 1, 2), "a\n");
  EXPECT_NE(out.find("Z b\n"), std::string::npos) << out;
}

TEST_F(LogsTest, FollowsUntilTheContainerExits) {
  auto created = engine_->CreateContainer(
      Shell("for i in 1 2 3 4 5; do echo tick$i; echo tock$i >&2; sleep 0.05; done"));
  ASSERT_OK(created);
  ASSERT_OK(engine_->StartContainer(created->id));
  LogOptions follow;
  follow.follow = true;
  std::string out, err;
  ASSERT_OK(engine_->Logs(created->id, follow, [&](StreamKind kind, std::string_view data) {
    (kind == StreamKind::kStderr ? err : out).append(data);
    return true;
  }));
  EXPECT_EQ(out, Numbered("tick", 5));
  EXPECT_EQ(err, Numbered("tock", 5));
  auto info = engine_->InspectContainer(created->id);
  ASSERT_OK(info);
  EXPECT_FALSE(info->state.running);
}

TEST_F(LogsTest, TtyContainerLogsAreRaw) {
  ContainerSpec spec = Shell("echo out; echo err >&2");
  spec.tty = true;
  std::string id;
  ASSERT_OK(RunToExit(spec, &id));
  LogOptions options;
  options.tty = true;
  std::string all;
  ASSERT_OK(engine_->Logs(id, options, [&](StreamKind kind, std::string_view data) {
    EXPECT_EQ(kind, StreamKind::kStdout);
    all.append(data);
    return true;
  }));
  EXPECT_EQ(all, "out\r\nerr\r\n");
}

TEST_F(LogsTest, CancelTokenEndsFollowWithCancelled) {
  auto created = engine_->CreateContainer(Shell("while true; do echo tick; sleep 0.05; done"));
  ASSERT_OK(created);
  ASSERT_OK(engine_->StartContainer(created->id));
  auto cancel = std::make_shared<CancelToken>();
  std::promise<void> first_data;
  bool signalled = false;
  auto follow = std::async(std::launch::async, [&] {
    LogOptions options;
    options.follow = true;
    return engine_->Logs(
        created->id, options,
        [&](StreamKind, std::string_view) {
          if (!signalled) {
            signalled = true;
            first_data.set_value();
          }
          return true;
        },
        cancel);
  });
  CancelOnExit guard{cancel};
  ASSERT_EQ(first_data.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  cancel->Cancel();
  ASSERT_EQ(follow.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  Status st = follow.get();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kCancelled) << st.error().ToString();
  // A token cancelled beforehand cancels at once.
  Status again = engine_->Logs(
      created->id, LogOptions{true}, [](StreamKind, std::string_view) { return true; }, cancel);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kCancelled);
}

TEST_F(LogsTest, StreamsFiftyMegabytesWithBoundedMemory) {
  constexpr int64_t kBytes = 50LL << 20;
  auto created = engine_->CreateContainer(
      Shell("head -c " + std::to_string(kBytes) + " /dev/zero | tr '\\0' 'x'; echo done >&2"));
  ASSERT_OK(created);
  auto wait = engine_->Wait(created->id, WaitCondition::kNextExit);
  ASSERT_OK(wait);
  ASSERT_OK(engine_->StartContainer(created->id));

  {  // Reset the peak-RSS mark so VmHWM measures this test only.
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";
  }
  const int64_t rss_before_kb = ProcStatusKb("VmRSS");
  ASSERT_GT(rss_before_kb, 0);
  int64_t max_rss_kb = rss_before_kb;
  int64_t out_bytes = 0, since_pause = 0, calls = 0;
  bool only_x = true;
  std::string err;
  LogOptions follow;
  follow.follow = true;
  auto start = std::chrono::steady_clock::now();
  ASSERT_OK(engine_->Logs(created->id, follow, [&](StreamKind kind, std::string_view data) {
    if (kind == StreamKind::kStderr) {
      err.append(data);
      return true;
    }
    out_bytes += static_cast<int64_t>(data.size());
    since_pause += static_cast<int64_t>(data.size());
    only_x = only_x && data.find_first_not_of('x') == std::string_view::npos;
    if (++calls % 256 == 0) max_rss_kb = std::max(max_rss_kb, ProcStatusKb("VmRSS"));
    if (since_pause >= (256 << 10)) {  // a slow consumer: about 50 MB/s at most
      since_pause = 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }));
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const int64_t hwm_kb = ProcStatusKb("VmHWM");
  EXPECT_EQ(out_bytes, kBytes);
  EXPECT_TRUE(only_x);
  EXPECT_EQ(err, "done\n");
  auto result = (*wait)->Get();
  ASSERT_OK(result);
  EXPECT_EQ(result->status_code, 0);
  const int64_t growth_kb = std::max(max_rss_kb, hwm_kb) - rss_before_kb;
  RecordProperty("rss_growth_kb", std::to_string(growth_kb));
  std::printf("streamed %lld bytes in %.1f s; RSS before %lld kB, peak growth %lld kB\n",
              static_cast<long long>(out_bytes), seconds, static_cast<long long>(rss_before_kb),
              static_cast<long long>(growth_kb));
  EXPECT_LT(growth_kb, 40 * 1024) << "memory grew with the amount of output streamed";
}

}  // namespace
}  // namespace vpe::docker::testing
