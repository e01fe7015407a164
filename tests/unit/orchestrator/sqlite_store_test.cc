#include "orchestrator/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/orchestrator/temp_dir.h"

namespace vpe::orch {
namespace {

using testing::TempDir;

Task MakeTask(const std::string& env = "ingestion", const std::string& key = "") {
  Task t;
  t.task_key = key;
  t.environment = env;
  t.command = {"python3", "-c", "print('hi')"};
  t.env = {{"PYTHONUNBUFFERED", "1"}};
  t.secret_env_keys = {"DB_PASSWORD"};
  t.resources = {512 << 20, 1.5, 256};
  t.timeout = std::chrono::minutes(30);
  t.labels = {{"dag_id", "etl"}, {"io.vpe/odd \"key\"", "v"}};
  t.priority = 3;
  return t;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    store_.reset();
    auto s = SqliteStore::Open(db_path());
    ASSERT_TRUE(s.ok()) << s.error().ToString();
    store_ = std::move(*s);
  }
  std::string db_path() const { return dir_.Join("vped.db"); }
  Task Create(const Task& t) {
    auto r = store_->CreateTask(t);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_TRUE(r->created);
    return r->task;
  }

  TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteStoreTest, CreatesTaskWithIdAndFirstQueuedEvent) {
  Task t = Create(MakeTask());
  EXPECT_EQ(t.id.rfind("t-", 0), 0u);
  EXPECT_EQ(t.id.size(), 18u);
  EXPECT_EQ(t.state, TaskState::kQueued);
  EXPECT_EQ(t.last_seq, 1);
  EXPECT_NE(t.created_at, TimePoint{});

  auto got = store_->GetTask(t.id);
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(got->environment, "ingestion");
  EXPECT_EQ(got->command, MakeTask().command);
  EXPECT_EQ(got->env, MakeTask().env);
  EXPECT_EQ(got->secret_env_keys, std::vector<std::string>{"DB_PASSWORD"});
  EXPECT_EQ(got->labels, MakeTask().labels);
  EXPECT_EQ(got->resources.memory_bytes, 512 << 20);
  EXPECT_DOUBLE_EQ(got->resources.cpus, 1.5);
  EXPECT_EQ(got->resources.pids, 256);
  EXPECT_EQ(got->timeout, std::chrono::minutes(30));
  EXPECT_EQ(got->priority, 3);
  EXPECT_EQ(got->created_at, t.created_at);
  EXPECT_FALSE(got->exit_code.has_value());
  EXPECT_FALSE(got->started_at.has_value());

  auto events = store_->EventsAfter(t.id, 0);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].seq, 1);
  EXPECT_EQ((*events)[0].state, TaskState::kQueued);
}

TEST_F(SqliteStoreTest, KeepsCallerAssignedId) {
  Task in = MakeTask();
  in.id = "t-0123456789abcdef";
  EXPECT_EQ(Create(in).id, "t-0123456789abcdef");
  auto again = store_->CreateTask(in);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
}

TEST_F(SqliteStoreTest, SameTaskKeyReturnsTheExistingTask) {
  Task first = Create(MakeTask("ingestion", "etl/run1/extract/1"));
  Task other = MakeTask("another-env", "etl/run1/extract/1");
  auto second = store_->CreateTask(other);
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  EXPECT_FALSE(second->created);
  EXPECT_EQ(second->task.id, first.id);
  EXPECT_EQ(second->task.environment, "ingestion");

  auto found = store_->FindByKey("etl/run1/extract/1");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, first.id);
  EXPECT_FALSE(store_->FindByKey("etl/run1/extract/2")->has_value());

  auto all = store_->ListTasks({});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->tasks.size(), 1u);
}

TEST_F(SqliteStoreTest, TasksWithoutKeyAreAllDistinct) {
  Create(MakeTask());
  Create(MakeTask());
  EXPECT_EQ(store_->ListTasks({})->tasks.size(), 2u);
}

TEST_F(SqliteStoreTest, ConcurrentSubmitsOfOneKeyCreateOneTask) {
  std::vector<std::thread> threads;
  std::atomic<int> created{0};
  std::set<std::string> ids;
  std::mutex mu;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto r = store_->CreateTask(MakeTask("e", "same-key"));
      ASSERT_TRUE(r.ok()) << r.error().ToString();
      if (r->created) ++created;
      std::lock_guard<std::mutex> lock(mu);
      ids.insert(r->task.id);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(ids.size(), 1u);
}

TEST_F(SqliteStoreTest, TransitionsAppendEventsWithIncreasingSeq) {
  Task t = Create(MakeTask());
  auto e2 = store_->Transition(t.id, TaskState::kPreparing, "slot free", {});
  ASSERT_TRUE(e2.ok()) << e2.error().ToString();
  EXPECT_EQ(e2->seq, 2);
  EXPECT_EQ(e2->state, TaskState::kPreparing);

  TaskUpdate running;
  running.container_id = "c0ffee";
  running.image = "vpe-env/ingestion:0123456789ab";
  auto e3 = store_->Transition(t.id, TaskState::kRunning, "", running);
  ASSERT_TRUE(e3.ok());
  EXPECT_EQ(e3->seq, 3);

  TaskUpdate done;
  done.exit_code = 0;
  done.result_json = R"({"rows": 42})";
  auto e4 = store_->Transition(t.id, TaskState::kSucceeded, "exited 0", done);
  ASSERT_TRUE(e4.ok());
  EXPECT_EQ(e4->seq, 4);

  auto got = store_->GetTask(t.id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->state, TaskState::kSucceeded);
  EXPECT_EQ(got->reason, "exited 0");
  EXPECT_EQ(got->last_seq, 4);
  EXPECT_EQ(got->container_id, "c0ffee");
  EXPECT_EQ(got->image, "vpe-env/ingestion:0123456789ab");
  EXPECT_EQ(got->exit_code, 0);
  EXPECT_EQ(got->result_json, R"({"rows": 42})");
  ASSERT_TRUE(got->started_at.has_value());
  ASSERT_TRUE(got->finished_at.has_value());
  EXPECT_LE(*got->started_at, *got->finished_at);

  auto events = store_->EventsAfter(t.id, 0);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 4u);
  for (size_t i = 0; i < events->size(); ++i) EXPECT_EQ((*events)[i].seq, int64_t(i) + 1);
  EXPECT_EQ((*events)[3].reason, "exited 0");
  EXPECT_LE((*events)[0].time, (*events)[3].time);

  auto after2 = store_->EventsAfter(t.id, 2);
  ASSERT_EQ(after2->size(), 2u);
  EXPECT_EQ((*after2)[0].seq, 3);
  EXPECT_TRUE(store_->EventsAfter(t.id, 4)->empty());
}

TEST_F(SqliteStoreTest, RejectsIllegalTransitionNamingTaskAndStates) {
  Task t = Create(MakeTask());
  auto r = store_->Transition(t.id, TaskState::kRunning, "", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message.find(t.id), std::string::npos);
  EXPECT_NE(r.error().message.find("QUEUED -> RUNNING"), std::string::npos) << r.error().message;

  ASSERT_TRUE(store_->Transition(t.id, TaskState::kCancelled, "user", {}).ok());
  auto again = store_->Transition(t.id, TaskState::kFailed, "late", {});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kFailedPrecondition);
  // Nothing was written by the refused transitions.
  auto got = store_->GetTask(t.id);
  EXPECT_EQ(got->state, TaskState::kCancelled);
  EXPECT_EQ(got->last_seq, 2);
  EXPECT_EQ(store_->EventsAfter(t.id, 0)->size(), 2u);
}

TEST_F(SqliteStoreTest, UnknownTaskIsNotFoundNamingTheId) {
  auto g = store_->GetTask("t-nope");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, ErrorCode::kNotFound);
  EXPECT_NE(g.error().message.find("t-nope"), std::string::npos);
  EXPECT_EQ(store_->Transition("t-nope", TaskState::kFailed, "", {}).error().code,
            ErrorCode::kNotFound);
  EXPECT_EQ(store_->UpdateTask("t-nope", {}).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(store_->EventsAfter("t-nope", 0).error().code, ErrorCode::kNotFound);
}

TEST_F(SqliteStoreTest, UpdatesFieldsWithoutStateChange) {
  Task t = Create(MakeTask());
  TaskUpdate u;
  u.container_id = "abc";
  u.log_bytes = 1234;
  ASSERT_TRUE(store_->UpdateTask(t.id, u).ok());
  TaskUpdate u2;
  u2.image = "img:1";
  ASSERT_TRUE(store_->UpdateTask(t.id, u2).ok());
  auto got = store_->GetTask(t.id);
  EXPECT_EQ(got->container_id, "abc");
  EXPECT_EQ(got->log_bytes, 1234);
  EXPECT_EQ(got->image, "img:1");
  EXPECT_EQ(got->state, TaskState::kQueued);
  EXPECT_EQ(got->last_seq, 1);
}

TEST_F(SqliteStoreTest, OomAndTimesAreStoredAsGiven) {
  Task t = Create(MakeTask());
  ASSERT_TRUE(store_->Transition(t.id, TaskState::kPreparing, "", {}).ok());
  TaskUpdate start;
  start.started_at = TimePoint(std::chrono::seconds(1700000000));
  ASSERT_TRUE(store_->Transition(t.id, TaskState::kRunning, "", start).ok());
  TaskUpdate end;
  end.oom_killed = true;
  end.exit_code = 137;
  end.finished_at = TimePoint(std::chrono::seconds(1700000005));
  ASSERT_TRUE(store_->Transition(t.id, TaskState::kFailed, "OOM", end).ok());
  auto got = store_->GetTask(t.id);
  EXPECT_TRUE(got->oom_killed);
  EXPECT_EQ(got->exit_code, 137);
  EXPECT_EQ(*got->started_at, TimePoint(std::chrono::seconds(1700000000)));
  EXPECT_EQ(*got->finished_at, TimePoint(std::chrono::seconds(1700000005)));
}

TEST_F(SqliteStoreTest, PaginatesWithStableTokensAcrossInserts) {
  std::vector<std::string> ids;
  for (int i = 0; i < 25; ++i) ids.push_back(Create(MakeTask()).id);
  ListQuery q;
  q.page_size = 10;
  std::vector<std::string> seen;
  auto p1 = store_->ListTasks(q);
  ASSERT_TRUE(p1.ok());
  ASSERT_EQ(p1->tasks.size(), 10u);
  ASSERT_FALSE(p1->next_page_token.empty());
  for (auto& t : p1->tasks) seen.push_back(t.id);

  // Inserts between pages appear at the end, never shift what the token points at.
  for (int i = 0; i < 3; ++i) ids.push_back(Create(MakeTask()).id);
  std::string token = p1->next_page_token;
  while (!token.empty()) {
    q.page_token = token;
    auto p = store_->ListTasks(q);
    ASSERT_TRUE(p.ok()) << p.error().ToString();
    for (auto& t : p->tasks) seen.push_back(t.id);
    token = p->next_page_token;
  }
  EXPECT_EQ(seen, ids);

  // The same token gives the same page again.
  q.page_token = p1->next_page_token;
  auto again1 = store_->ListTasks(q);
  auto again2 = store_->ListTasks(q);
  ASSERT_EQ(again1->tasks.size(), 10u);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(again1->tasks[i].id, again2->tasks[i].id);
  EXPECT_EQ(again1->tasks[0].id, ids[10]);
}

TEST_F(SqliteStoreTest, ListsNewestFirstWhenAsked) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(Create(MakeTask()).id);
  ListQuery q;
  q.newest_first = true;
  q.page_size = 3;
  auto p1 = store_->ListTasks(q);
  ASSERT_EQ(p1->tasks.size(), 3u);
  EXPECT_EQ(p1->tasks[0].id, ids[4]);
  q.page_token = p1->next_page_token;
  auto p2 = store_->ListTasks(q);
  ASSERT_EQ(p2->tasks.size(), 2u);
  EXPECT_EQ(p2->tasks[1].id, ids[0]);
  EXPECT_TRUE(p2->next_page_token.empty());
}

TEST_F(SqliteStoreTest, ExactPageHasNoNextToken) {
  for (int i = 0; i < 4; ++i) Create(MakeTask());
  ListQuery q;
  q.page_size = 4;
  auto p = store_->ListTasks(q);
  EXPECT_EQ(p->tasks.size(), 4u);
  EXPECT_TRUE(p->next_page_token.empty());
}

TEST_F(SqliteStoreTest, PageSizeDefaultsTo100AndIsCappedAt1000) {
  for (int i = 0; i < 1005; ++i) {
    Task t = MakeTask();
    ASSERT_TRUE(store_->CreateTask(t).ok());
  }
  auto def = store_->ListTasks({});
  EXPECT_EQ(def->tasks.size(), 100u);
  ListQuery big;
  big.page_size = 5000;
  auto capped = store_->ListTasks(big);
  EXPECT_EQ(capped->tasks.size(), 1000u);
  EXPECT_FALSE(capped->next_page_token.empty());
  ListQuery neg;
  neg.page_size = -1;
  EXPECT_EQ(store_->ListTasks(neg).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(SqliteStoreTest, RejectsForeignOrMalformedPageTokens) {
  for (int i = 0; i < 3; ++i) Create(MakeTask());
  ListQuery q;
  q.page_size = 1;
  auto p = store_->ListTasks(q);
  ASSERT_FALSE(p->next_page_token.empty());

  ListQuery bad;
  bad.page_token = "garbage";
  auto r = store_->ListTasks(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("page_token"), std::string::npos);

  ListQuery other;
  other.environment = "ingestion";
  other.page_token = p->next_page_token;
  EXPECT_EQ(store_->ListTasks(other).error().code, ErrorCode::kInvalidArgument);
}

TEST_F(SqliteStoreTest, FiltersByStatesEnvironmentAndAllLabels) {
  Task a = MakeTask("ingestion");
  a.labels = {{"dag_id", "etl"}, {"team", "data"}};
  Task b = MakeTask("ingestion");
  b.labels = {{"dag_id", "etl"}, {"team", "web"}};
  Task c = MakeTask("reporting");
  c.labels = {{"dag_id", "etl"}, {"team", "data"}};
  Task d = MakeTask("ingestion");
  d.labels = {{"io.vpe/odd \"key\"", "x y"}};
  std::string ia = Create(a).id;
  std::string ib = Create(b).id;
  std::string ic = Create(c).id;
  std::string id = Create(d).id;
  ASSERT_TRUE(store_->Transition(ib, TaskState::kCancelled, "", {}).ok());

  auto ids = [this](const ListQuery& q) {
    std::vector<std::string> out;
    auto r = store_->ListTasks(q);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    for (auto& t : r->tasks) out.push_back(t.id);
    return out;
  };
  ListQuery q;
  q.labels = {{"team", "data"}};
  EXPECT_EQ(ids(q), (std::vector<std::string>{ia, ic}));
  q.labels = {{"team", "data"}, {"dag_id", "etl"}};
  EXPECT_EQ(ids(q), (std::vector<std::string>{ia, ic}));
  q.labels = {{"team", "data"}, {"dag_id", "other"}};
  EXPECT_TRUE(ids(q).empty());
  q.labels = {{"io.vpe/odd \"key\"", "x y"}};
  EXPECT_EQ(ids(q), (std::vector<std::string>{id}));

  ListQuery env;
  env.environment = "ingestion";
  env.labels = {{"dag_id", "etl"}};
  EXPECT_EQ(ids(env), (std::vector<std::string>{ia, ib}));

  ListQuery st;
  st.states = {TaskState::kCancelled};
  EXPECT_EQ(ids(st), (std::vector<std::string>{ib}));
  st.states = {TaskState::kQueued, TaskState::kCancelled};
  EXPECT_EQ(ids(st).size(), 4u);
  st.environment = "reporting";
  EXPECT_EQ(ids(st), (std::vector<std::string>{ic}));
}

TEST_F(SqliteStoreTest, ListsNonTerminalInCreationOrderAndCountsByState) {
  std::string a = Create(MakeTask()).id;
  std::string b = Create(MakeTask()).id;
  std::string c = Create(MakeTask()).id;
  std::string d = Create(MakeTask()).id;
  ASSERT_TRUE(store_->Transition(a, TaskState::kPreparing, "", {}).ok());
  ASSERT_TRUE(store_->Transition(a, TaskState::kRunning, "", {}).ok());
  ASSERT_TRUE(store_->Transition(b, TaskState::kCancelled, "", {}).ok());
  ASSERT_TRUE(store_->Transition(d, TaskState::kPreparing, "", {}).ok());

  auto nt = store_->ListNonTerminal();
  ASSERT_TRUE(nt.ok());
  std::vector<std::string> got;
  for (auto& t : *nt) got.push_back(t.id);
  EXPECT_EQ(got, (std::vector<std::string>{a, c, d}));

  auto counts = store_->CountByState();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->size(), 8u);
  EXPECT_EQ(counts->at(TaskState::kRunning), 1);
  EXPECT_EQ(counts->at(TaskState::kCancelled), 1);
  EXPECT_EQ(counts->at(TaskState::kQueued), 1);
  EXPECT_EQ(counts->at(TaskState::kPreparing), 1);
  EXPECT_EQ(counts->at(TaskState::kSucceeded), 0);
}

TEST_F(SqliteStoreTest, RecordsEnvironments) {
  EnvironmentRecord e{"ingestion", "vpe-env/ingestion:aaaaaaaaaaaa", "aaaa", std::nullopt};
  ASSERT_TRUE(store_->UpsertEnvironment(e).ok());
  ASSERT_TRUE(store_->UpsertEnvironment({"alpha", "vpe-env/alpha:b", "bb", std::nullopt}).ok());
  e.image_tag = "vpe-env/ingestion:cccccccccccc";
  e.spec_hash = "cccc";
  e.built_at = TimePoint(std::chrono::seconds(1700000000));
  ASSERT_TRUE(store_->UpsertEnvironment(e).ok());

  auto envs = store_->ListEnvironments();
  ASSERT_TRUE(envs.ok());
  ASSERT_EQ(envs->size(), 2u);
  EXPECT_EQ((*envs)[0].name, "alpha");
  EXPECT_FALSE((*envs)[0].built_at.has_value());
  EXPECT_EQ((*envs)[1].image_tag, "vpe-env/ingestion:cccccccccccc");
  EXPECT_EQ((*envs)[1].spec_hash, "cccc");
  EXPECT_EQ((*envs)[1].built_at, TimePoint(std::chrono::seconds(1700000000)));
  auto one = store_->GetEnvironment("ingestion");
  ASSERT_TRUE(one.ok() && one->has_value());
  EXPECT_EQ((*one)->spec_hash, "cccc");
  EXPECT_FALSE(store_->GetEnvironment("nope")->has_value());
}

TEST_F(SqliteStoreTest, ReopenKeepsEverything) {
  Task t = Create(MakeTask("ingestion", "k1"));
  ASSERT_TRUE(store_->Transition(t.id, TaskState::kPreparing, "", {}).ok());
  TaskUpdate u;
  u.container_id = "cid";
  ASSERT_TRUE(store_->Transition(t.id, TaskState::kRunning, "started", u).ok());
  ASSERT_TRUE(store_->UpsertEnvironment({"ingestion", "tag", "hash", std::nullopt}).ok());

  Reopen();
  auto got = store_->GetTask(t.id);
  ASSERT_TRUE(got.ok()) << got.error().ToString();
  EXPECT_EQ(got->state, TaskState::kRunning);
  EXPECT_EQ(got->container_id, "cid");
  EXPECT_EQ(got->last_seq, 3);
  EXPECT_EQ(got->command, MakeTask().command);
  EXPECT_EQ(store_->EventsAfter(t.id, 0)->size(), 3u);
  EXPECT_EQ(store_->ListEnvironments()->size(), 1u);
  auto again = store_->CreateTask(MakeTask("ingestion", "k1"));
  EXPECT_FALSE(again->created);
  // And it keeps going from where it was.
  auto e = store_->Transition(t.id, TaskState::kSucceeded, "", {});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->seq, 4);
}

TEST_F(SqliteStoreTest, UsesWalAndCurrentSchemaVersion) {
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
  auto query_int = [db](const char* sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(st), SQLITE_ROW);
    std::string v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
  };
  EXPECT_EQ(query_int("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(query_int("PRAGMA user_version"), std::to_string(SqliteStore::SchemaVersion()));
  sqlite3_close(db);
}

TEST(SqliteStoreOpenTest, MigratesAnEmptyFile) {
  TempDir dir;
  std::string path = dir.Join("empty.db");
  { std::ofstream(path).flush(); }
  auto s = SqliteStore::Open(path);
  ASSERT_TRUE(s.ok()) << s.error().ToString();
  EXPECT_TRUE((*s)->CreateTask(MakeTask()).ok());
}

TEST(SqliteStoreOpenTest, RefusesANewerSchema) {
  TempDir dir;
  std::string path = dir.Join("new.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version=999", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto s = SqliteStore::Open(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(s.error().message.find("999"), std::string::npos) << s.error().message;
}

TEST(SqliteStoreOpenTest, RefusesAFileThatIsNotADatabase) {
  TempDir dir;
  std::string path = dir.Join("junk.db");
  std::ofstream(path) << std::string(8192, 'x');
  auto s = SqliteStore::Open(path);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find(path), std::string::npos) << s.error().message;
}

TEST(SqliteStoreOpenTest, MissingDirectoryIsAClearError) {
  TempDir dir;
  std::string path = dir.Join("no/such/dir/vped.db");
  auto s = SqliteStore::Open(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(s.error().message.find(dir.Join("no/such/dir")), std::string::npos)
      << s.error().message;
}

TEST(SqliteStoreOpenTest, DirectoryThatIsAFileIsAClearError) {
  TempDir dir;
  std::ofstream(dir.Join("file")) << "x";
  auto s = SqliteStore::Open(dir.Join("file/vped.db"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(s.error().message.find("not a directory"), std::string::npos) << s.error().message;
}

TEST(SqliteStoreOpenTest, UnwritableDirectoryIsAClearError) {
  TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  std::string ro = dir.Join("ro");
  ASSERT_EQ(::mkdir(ro.c_str(), 0555), 0);
  // Empty when Open fails as it should, else what went wrong.
  auto check = [&ro]() -> std::string {
    auto s = SqliteStore::Open(ro + "/vped.db");
    if (s.ok()) return "opened";
    if (s.error().code != ErrorCode::kFailedPrecondition ||
        s.error().message.find("not writable") == std::string::npos ||
        s.error().message.find(ro) == std::string::npos) {
      return s.error().ToString();
    }
    return "";
  };
  if (::geteuid() != 0) {
    EXPECT_EQ(check(), "");
    return;
  }
  // Root ignores directory permissions: try as nobody in a child process.
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
    ::_exit(check().empty() ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: wrong error, 2: could not drop privileges";
}

}  // namespace
}  // namespace vpe::orch
