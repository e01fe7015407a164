#include "orchestrator/task.h"

#include <gtest/gtest.h>

#include <set>
#include <utility>
#include <vector>

namespace vpe::orch {
namespace {

const std::vector<TaskState> kAll = {
    TaskState::kQueued, TaskState::kPreparing, TaskState::kRunning,   TaskState::kSucceeded,
    TaskState::kFailed, TaskState::kTimedOut,  TaskState::kCancelled, TaskState::kLost};

TEST(TaskStateTest, NamesRoundTrip) {
  for (TaskState s : kAll) {
    auto back = TaskStateFromName(TaskStateName(s));
    ASSERT_TRUE(back.has_value()) << TaskStateName(s);
    EXPECT_EQ(*back, s);
  }
  EXPECT_FALSE(TaskStateFromName("queued").has_value());
  EXPECT_FALSE(TaskStateFromName("").has_value());
}

TEST(TaskStateTest, TerminalStatesAreExactlyTheFinishedOnes) {
  std::set<TaskState> terminal;
  for (TaskState s : kAll) {
    if (IsTerminal(s)) terminal.insert(s);
  }
  EXPECT_EQ(terminal,
            (std::set<TaskState>{TaskState::kSucceeded, TaskState::kFailed, TaskState::kTimedOut,
                                 TaskState::kCancelled, TaskState::kLost}));
}

TEST(TaskStateTest, AllowsExactlyTheDocumentedTransitions) {
  using S = TaskState;
  const std::set<std::pair<S, S>> allowed = {
      {S::kQueued, S::kPreparing},  {S::kQueued, S::kFailed},     {S::kQueued, S::kCancelled},
      {S::kPreparing, S::kRunning}, {S::kPreparing, S::kFailed},  {S::kPreparing, S::kCancelled},
      {S::kPreparing, S::kLost},    {S::kRunning, S::kSucceeded}, {S::kRunning, S::kFailed},
      {S::kRunning, S::kTimedOut},  {S::kRunning, S::kCancelled}, {S::kRunning, S::kLost},
  };
  for (S from : kAll) {
    for (S to : kAll) {
      EXPECT_EQ(CanTransition(from, to), allowed.count({from, to}) == 1)
          << TaskStateName(from) << " -> " << TaskStateName(to);
    }
  }
}

TEST(TaskStateTest, TerminalStatesAreFinal) {
  for (TaskState from : kAll) {
    if (!IsTerminal(from)) continue;
    for (TaskState to : kAll) EXPECT_FALSE(CanTransition(from, to)) << TaskStateName(from);
  }
}

TEST(TaskStateTest, NothingReturnsToQueued) {
  for (TaskState from : kAll) EXPECT_FALSE(CanTransition(from, TaskState::kQueued));
}

}  // namespace
}  // namespace vpe::orch
