#include "orchestrator/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace vpe::orch {
namespace {

std::vector<std::string> Ids(const std::vector<ScheduledTask>& v) {
  std::vector<std::string> out;
  for (const auto& t : v) out.push_back(t.id);
  return out;
}

SchedulerOptions Unlimited() {
  SchedulerOptions o;
  o.max_running = 0;
  return o;
}

TEST(SchedulerTest, StartsHigherPriorityFirst) {
  Scheduler s(Unlimited());
  ASSERT_TRUE(s.Enqueue("low", "e", 0).ok());
  ASSERT_TRUE(s.Enqueue("high", "e", 10).ok());
  ASSERT_TRUE(s.Enqueue("mid", "e", 5).ok());
  ASSERT_TRUE(s.Enqueue("neg", "e", -3).ok());
  EXPECT_EQ(Ids(s.TakeRunnable()), (std::vector<std::string>{"high", "mid", "low", "neg"}));
}

TEST(SchedulerTest, KeepsFifoWithinAPriority) {
  Scheduler s(Unlimited());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(s.Enqueue("t" + std::to_string(i), "e", 1).ok());
  std::vector<std::string> want;
  for (int i = 0; i < 20; ++i) want.push_back("t" + std::to_string(i));
  EXPECT_EQ(Ids(s.TakeRunnable()), want);
}

TEST(SchedulerTest, NextReturnsOneTaskAtATimeInOrder) {
  Scheduler s(Unlimited());
  ASSERT_TRUE(s.Enqueue("a", "e", 0).ok());
  ASSERT_TRUE(s.Enqueue("b", "e", 1).ok());
  auto first = s.Next();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->id, "b");
  EXPECT_EQ(first->environment, "e");
  EXPECT_EQ(s.Next()->id, "a");
  EXPECT_FALSE(s.Next().has_value());
  EXPECT_EQ(s.running(), 2u);
}

TEST(SchedulerTest, GlobalLimitCapsRunningUntilReleased) {
  SchedulerOptions o;
  o.max_running = 2;
  Scheduler s(o);
  for (const char* id : {"a", "b", "c", "d"}) ASSERT_TRUE(s.Enqueue(id, "e", 0).ok());
  EXPECT_EQ(Ids(s.TakeRunnable()), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(s.TakeRunnable().empty());
  EXPECT_EQ(s.running(), 2u);
  EXPECT_EQ(s.queued(), 2u);
  EXPECT_TRUE(s.Release("a"));
  EXPECT_EQ(Ids(s.TakeRunnable()), (std::vector<std::string>{"c"}));
  EXPECT_TRUE(s.Release("b"));
  EXPECT_TRUE(s.Release("c"));
  EXPECT_EQ(Ids(s.TakeRunnable()), (std::vector<std::string>{"d"}));
  EXPECT_EQ(s.queued(), 0u);
  EXPECT_EQ(s.running(), 1u);
}

TEST(SchedulerTest, EnvironmentAtItsLimitDoesNotBlockOtherEnvironments) {
  SchedulerOptions o;
  o.max_running = 10;
  o.env_limits = {{"slow", 1}};
  Scheduler s(o);
  ASSERT_TRUE(s.Enqueue("slow1", "slow", 0).ok());
  ASSERT_TRUE(s.Enqueue("slow2", "slow", 0).ok());
  ASSERT_TRUE(s.Enqueue("fast1", "fast", 0).ok());
  ASSERT_TRUE(s.Enqueue("slow3", "slow", 0).ok());
  ASSERT_TRUE(s.Enqueue("fast2", "fast", 0).ok());
  EXPECT_EQ(Ids(s.TakeRunnable()), (std::vector<std::string>{"slow1", "fast1", "fast2"}));
  EXPECT_EQ(s.running("slow"), 1u);
  EXPECT_EQ(s.queued("slow"), 2u);
  EXPECT_TRUE(s.Release("slow1"));
  EXPECT_EQ(Ids(s.TakeRunnable()), (std::vector<std::string>{"slow2"}));  // FIFO within env
}

TEST(SchedulerTest, DefaultEnvironmentLimitAppliesToUnlistedEnvironments) {
  SchedulerOptions o;
  o.max_running = 0;
  o.default_env_limit = 2;
  o.env_limits = {{"big", 3}};
  Scheduler s(o);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(s.Enqueue("a" + std::to_string(i), "a", 0).ok());
    ASSERT_TRUE(s.Enqueue("big" + std::to_string(i), "big", 0).ok());
  }
  s.TakeRunnable();
  EXPECT_EQ(s.running("a"), 2u);
  EXPECT_EQ(s.running("big"), 3u);
}

TEST(SchedulerTest, GlobalLimitStopsEvenWhenEnvironmentsHaveRoom) {
  SchedulerOptions o;
  o.max_running = 3;
  o.default_env_limit = 2;
  Scheduler s(o);
  for (const char* env : {"x", "y", "z"}) {
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE(s.Enqueue(std::string(env) + std::to_string(i), env, 0).ok());
    }
  }
  EXPECT_EQ(Ids(s.TakeRunnable()), (std::vector<std::string>{"x0", "x1", "y0"}));
}

TEST(SchedulerTest, RejectsEnqueueWhenQueueIsFull) {
  SchedulerOptions o;
  o.max_queued = 3;
  o.max_running = 1;
  Scheduler s(o);
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(s.Enqueue(id, "e", 0).ok());
  auto st = s.Enqueue("d", "e", 0);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kResourceExhausted);
  EXPECT_EQ(st.error().message, "queue is full (3 tasks)");
  // Starting one frees a queue place: running tasks do not count against the queue.
  EXPECT_EQ(s.TakeRunnable().size(), 1u);
  EXPECT_TRUE(s.Enqueue("d", "e", 0).ok());
}

TEST(SchedulerTest, RejectsDuplicateIds) {
  Scheduler s(Unlimited());
  ASSERT_TRUE(s.Enqueue("a", "e", 0).ok());
  EXPECT_EQ(s.Enqueue("a", "e", 0).error().code, ErrorCode::kAlreadyExists);
  s.TakeRunnable();
  EXPECT_EQ(s.Enqueue("a", "e", 0).error().code, ErrorCode::kAlreadyExists);  // running
  s.Release("a");
  EXPECT_TRUE(s.Enqueue("a", "e", 0).ok());
}

TEST(SchedulerTest, RemoveCancelsAQueuedTaskOnly) {
  SchedulerOptions o;
  o.max_running = 1;
  Scheduler s(o);
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(s.Enqueue(id, "e", 0).ok());
  EXPECT_EQ(Ids(s.TakeRunnable()), (std::vector<std::string>{"a"}));
  EXPECT_FALSE(s.Remove("a"));  // running: the runner cancels it
  EXPECT_TRUE(s.Remove("b"));
  EXPECT_FALSE(s.Remove("b"));
  EXPECT_FALSE(s.Remove("nope"));
  EXPECT_EQ(s.queued(), 1u);
  EXPECT_EQ(s.queued("e"), 1u);
  EXPECT_TRUE(s.Release("a"));
  EXPECT_EQ(Ids(s.TakeRunnable()), (std::vector<std::string>{"c"}));
}

TEST(SchedulerTest, ReleaseOfUnknownTaskIsFalseAndHarmless) {
  Scheduler s;
  EXPECT_FALSE(s.Release("ghost"));
  EXPECT_EQ(s.running(), 0u);
}

TEST(SchedulerTest, AdoptedTasksTakeSlots) {
  SchedulerOptions o;
  o.max_running = 2;
  o.env_limits = {{"e", 1}};
  Scheduler s(o);
  ASSERT_TRUE(s.Adopt("old1", "e").ok());
  ASSERT_TRUE(s.Adopt("old2", "other").ok());
  EXPECT_EQ(s.Adopt("old1", "e").error().code, ErrorCode::kAlreadyExists);
  ASSERT_TRUE(s.Enqueue("new", "other", 0).ok());
  EXPECT_TRUE(s.TakeRunnable().empty());
  EXPECT_TRUE(s.Release("old2"));
  EXPECT_EQ(Ids(s.TakeRunnable()), (std::vector<std::string>{"new"}));
}

TEST(SchedulerTest, RaisingLimitsLetsMoreStart) {
  SchedulerOptions o;
  o.max_running = 1;
  Scheduler s(o);
  for (const char* id : {"a", "b", "c"}) ASSERT_TRUE(s.Enqueue(id, "e", 0).ok());
  EXPECT_EQ(s.TakeRunnable().size(), 1u);
  s.SetMaxRunning(3);
  s.SetEnvLimit("e", 2);
  EXPECT_EQ(Ids(s.TakeRunnable()), (std::vector<std::string>{"b"}));
}

TEST(SchedulerTest, ConcurrentUseNeverExceedsTheGlobalLimit) {
  SchedulerOptions o;
  o.max_running = 4;
  o.max_queued = 100000;
  Scheduler s(o);
  constexpr int kTasks = 2000;
  std::atomic<int> running{0};
  std::atomic<int> max_seen{0};
  std::atomic<int> done{0};
  std::thread producer([&] {
    for (int i = 0; i < kTasks; ++i) {
      ASSERT_TRUE(s.Enqueue("t" + std::to_string(i), "e" + std::to_string(i % 3), i % 5).ok());
    }
  });
  std::vector<std::thread> workers;
  for (int w = 0; w < 8; ++w) {  // more workers than slots
    workers.emplace_back([&] {
      while (done.load() < kTasks) {
        auto t = s.Next();
        if (!t) {
          std::this_thread::yield();
          continue;
        }
        int now = ++running;
        int prev = max_seen.load();
        while (now > prev && !max_seen.compare_exchange_weak(prev, now)) {
        }
        --running;
        EXPECT_TRUE(s.Release(t->id));
        ++done;
      }
    });
  }
  producer.join();
  for (auto& w : workers) w.join();
  EXPECT_EQ(done.load(), kTasks);
  EXPECT_LE(max_seen.load(), 4);
  EXPECT_EQ(s.queued(), 0u);
  EXPECT_EQ(s.running(), 0u);
}

}  // namespace
}  // namespace vpe::orch
