#include "orchestrator/sqlite_store.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string_view>
#include <utility>

#include "orchestrator/sqlite_stmt.h"

namespace vpe::orch {
namespace {

using nlohmann::json;

// Schema migrations, applied in order; PRAGMA user_version holds how many have run. Append new
// ones, never edit a released one: a database written by an older vped must migrate forward.
constexpr const char* kMigrations[] = {
    // 1: tasks, their state events, environments.
    R"sql(
CREATE TABLE tasks (
  pk INTEGER PRIMARY KEY AUTOINCREMENT,  -- creation order; never reused, so page tokens hold
  id TEXT NOT NULL UNIQUE,
  task_key TEXT,                         -- NULL when the request had none
  environment TEXT NOT NULL,
  command TEXT NOT NULL,                 -- JSON array of argv
  env TEXT NOT NULL,                     -- JSON object; never secret values
  secret_env_keys TEXT NOT NULL,         -- JSON array of names only
  memory_bytes INTEGER NOT NULL,
  cpus REAL NOT NULL,
  pids INTEGER NOT NULL,
  timeout_ms INTEGER NOT NULL,
  labels TEXT NOT NULL,                  -- JSON object of string values
  priority INTEGER NOT NULL,
  state TEXT NOT NULL,                   -- TaskStateName
  reason TEXT NOT NULL,
  exit_code INTEGER,
  oom_killed INTEGER NOT NULL DEFAULT 0,
  result_json TEXT NOT NULL DEFAULT '',
  image TEXT NOT NULL DEFAULT '',
  container_id TEXT NOT NULL DEFAULT '',
  created_at_ns INTEGER NOT NULL,
  started_at_ns INTEGER,
  finished_at_ns INTEGER,
  last_seq INTEGER NOT NULL,
  log_bytes INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX tasks_by_key ON tasks(task_key);
CREATE INDEX tasks_by_state ON tasks(state, pk);
CREATE INDEX tasks_by_environment ON tasks(environment, pk);
CREATE TABLE task_events (
  task_id TEXT NOT NULL REFERENCES tasks(id),
  seq INTEGER NOT NULL,
  time_ns INTEGER NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL,
  PRIMARY KEY (task_id, seq)
) WITHOUT ROWID;
CREATE TABLE environments (
  name TEXT PRIMARY KEY,
  image_tag TEXT NOT NULL,
  spec_hash TEXT NOT NULL,
  built_at_ns INTEGER,
  updated_at_ns INTEGER NOT NULL
);
)sql",
    // 2: named volumes a task mounts (JSON array of {name, target, read_only}).
    R"sql(
ALTER TABLE tasks ADD COLUMN volumes TEXT NOT NULL DEFAULT '[]';
)sql",
};
constexpr int kNumMigrations = static_cast<int>(sizeof(kMigrations) / sizeof(kMigrations[0]));

constexpr int kBusyTimeoutMs = 5000;

constexpr const char* kTaskColumns =
    "id, task_key, environment, command, env, secret_env_keys, memory_bytes, cpus, pids, "
    "timeout_ms, labels, priority, state, reason, exit_code, oom_killed, result_json, image, "
    "container_id, created_at_ns, started_at_ns, finished_at_ns, last_seq, log_bytes, pk, volumes";

constexpr TaskState kAllStates[] = {
    TaskState::kQueued, TaskState::kPreparing, TaskState::kRunning,   TaskState::kSucceeded,
    TaskState::kFailed, TaskState::kTimedOut,  TaskState::kCancelled, TaskState::kLost};

int64_t ToNanos(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

TimePoint FromNanos(int64_t ns) {
  return TimePoint(std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ns)));
}

std::optional<int64_t> ToNanos(const std::optional<TimePoint>& t) {
  if (!t) return std::nullopt;
  return ToNanos(*t);
}

std::optional<TimePoint> FromNanos(const std::optional<int64_t>& ns) {
  if (!ns) return std::nullopt;
  return FromNanos(*ns);
}

// Invalid UTF-8 in an argv or label is replaced rather than failing the whole submit.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string NewTaskId() {
  static std::mutex mu;
  static std::mt19937_64 rng{[] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }()};
  std::lock_guard<std::mutex> lock(mu);
  uint64_t v = rng();
  char buf[19];
  std::snprintf(buf, sizeof(buf), "t-%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Parses a JSON column written by this store; a corrupt row is a bug or a hand-edited file.
Result<json> ParseColumn(const std::string& text, const std::string& task_id, const char* column) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Error(ErrorCode::kInternal,
                 "task " + task_id + ": column " + column + " holds invalid JSON");
  }
  return j;
}

Result<Task> RowToTask(const SqliteStmt& s) {
  Task t;
  t.id = s.ColumnText(0);
  t.task_key = s.ColumnText(1);
  t.environment = s.ColumnText(2);
  auto command = ParseColumn(s.ColumnText(3), t.id, "command");
  auto env = ParseColumn(s.ColumnText(4), t.id, "env");
  auto secret_keys = ParseColumn(s.ColumnText(5), t.id, "secret_env_keys");
  auto labels = ParseColumn(s.ColumnText(10), t.id, "labels");
  for (const auto* r : {&command, &env, &secret_keys, &labels}) {
    if (!r->ok()) return r->error();
  }
  try {
    t.command = command->get<std::vector<std::string>>();
    t.env = env->get<std::map<std::string, std::string>>();
    t.secret_env_keys = secret_keys->get<std::vector<std::string>>();
    t.labels = labels->get<std::map<std::string, std::string>>();
  } catch (const json::exception& e) {
    return Error(ErrorCode::kInternal, "task " + t.id + ": unexpected JSON shape: " + e.what());
  }
  t.resources.memory_bytes = s.ColumnInt64(6);
  t.resources.cpus = s.ColumnDouble(7);
  t.resources.pids = s.ColumnInt64(8);
  t.timeout = std::chrono::milliseconds(s.ColumnInt64(9));
  t.priority = static_cast<int>(s.ColumnInt64(11));
  auto state = TaskStateFromName(s.ColumnText(12));
  if (!state) {
    return Error(ErrorCode::kInternal,
                 "task " + t.id + ": unknown state \"" + s.ColumnText(12) + "\" in store");
  }
  t.state = *state;
  t.reason = s.ColumnText(13);
  t.exit_code = s.ColumnOptionalInt64(14);
  t.oom_killed = s.ColumnInt64(15) != 0;
  t.result_json = s.ColumnText(16);
  t.image = s.ColumnText(17);
  t.container_id = s.ColumnText(18);
  t.created_at = FromNanos(s.ColumnInt64(19));
  t.started_at = FromNanos(s.ColumnOptionalInt64(20));
  t.finished_at = FromNanos(s.ColumnOptionalInt64(21));
  t.last_seq = s.ColumnInt64(22);
  t.log_bytes = s.ColumnInt64(23);
  auto volumes = ParseColumn(s.ColumnText(25), t.id, "volumes");
  if (!volumes.ok()) return volumes.error();
  for (const json& v : *volumes) {
    t.volumes.push_back({v.value("name", ""), v.value("target", ""), v.value("read_only", false)});
  }
  return t;
}

Result<std::vector<Task>> CollectTasks(SqliteStmt& s, std::vector<int64_t>* pks = nullptr) {
  std::vector<Task> out;
  for (;;) {
    auto row = s.Step();
    if (!row.ok()) return row.error();
    if (!*row) break;
    auto t = RowToTask(s);
    if (!t.ok()) return t.error();
    out.push_back(std::move(*t));
    if (pks != nullptr) pks->push_back(s.ColumnInt64(24));
  }
  return out;
}

// Page tokens are opaque to clients: hex of "1|<order>|<query hash>|<last pk>". The hash ties a
// token to the filters it was issued for, so a token reused with other filters is refused
// instead of silently skipping or repeating rows.
uint64_t QueryHash(const ListQuery& q) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
    h ^= 0xff;  // separator, so ("ab","c") != ("a","bc")
    h *= 1099511628211ULL;
  };
  for (TaskState s : q.states) mix(TaskStateName(s));
  mix("|");
  mix(q.environment);
  for (const auto& [k, v] : q.labels) {
    mix(k);
    mix(v);
  }
  mix(q.newest_first ? "desc" : "asc");
  return h;
}

std::string EncodePageToken(const ListQuery& q, int64_t last_pk) {
  std::string raw = "1|" + std::to_string(QueryHash(q)) + "|" + std::to_string(last_pk);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

Result<int64_t> DecodePageToken(const ListQuery& q) {
  const std::string& tok = q.page_token;
  Error bad(ErrorCode::kInvalidArgument, "page_token: not a token returned by ListTasks");
  if (tok.size() % 2 != 0 || tok.size() > 200) return bad;
  std::string raw;
  for (size_t i = 0; i < tok.size(); i += 2) {
    auto nib = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int hi = nib(tok[i]);
    int lo = nib(tok[i + 1]);
    if (hi < 0 || lo < 0) return bad;
    raw.push_back(static_cast<char>(hi << 4 | lo));
  }
  size_t a = raw.find('|');
  size_t b = a == std::string::npos ? a : raw.find('|', a + 1);
  if (b == std::string::npos || raw.substr(0, a) != "1") return bad;
  if (raw.substr(a + 1, b - a - 1) != std::to_string(QueryHash(q))) {
    return Error(ErrorCode::kInvalidArgument,
                 "page_token: issued for a different query (states, environment, labels or order "
                 "changed)");
  }
  std::string pk = raw.substr(b + 1);
  if (pk.empty() || pk.size() > 19 || pk.find_first_not_of("0123456789") != std::string::npos) {
    return bad;
  }
  return static_cast<int64_t>(std::stoll(pk));
}

Status CheckDirectoryWritable(const std::string& path) {
  std::string dir = ".";
  size_t slash = path.rfind('/');
  if (slash == 0) {
    dir = "/";
  } else if (slash != std::string::npos) {
    dir = path.substr(0, slash);
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    return Error(ErrorCode::kFailedPrecondition,
                 "state directory " + dir + ": " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    return Error(ErrorCode::kFailedPrecondition, "state directory " + dir + " is not a directory");
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return Error(ErrorCode::kFailedPrecondition,
                 "state directory " + dir + " is not writable: " + std::strerror(errno));
  }
  if (::access(path.c_str(), F_OK) == 0 && ::access(path.c_str(), R_OK | W_OK) != 0) {
    return Error(ErrorCode::kFailedPrecondition,
                 "database " + path + " is not writable: " + std::strerror(errno));
  }
  return OkStatus();
}

std::string NotFound(const std::string& id) { return "task " + id + " not found"; }

}  // namespace

int SqliteStore::SchemaVersion() { return kNumMigrations; }

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  auto fail = [&path](const Error& e) { return e.WithContext("opening store " + path); };
  if (auto s = CheckDirectoryWritable(path); !s.ok()) return fail(s.error());
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Error e = SqliteError(db, rc, "sqlite3_open");
    sqlite3_close(db);
    return fail(e);
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(path, db));
  if (auto s = store->Configure(); !s.ok()) return fail(s.error());
  if (auto s = store->Migrate(); !s.ok()) return fail(s.error());
  return store;
}

SqliteStore::~SqliteStore() {
  // Every statement is finalized by its wrapper, so close cannot fail with SQLITE_BUSY; the last
  // connection to close checkpoints the WAL into the database file.
  sqlite3_close(db_);
}

Status SqliteStore::Configure() {
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  auto mode = SqliteStmt::Prepare(db_, "PRAGMA journal_mode=WAL");
  if (!mode.ok()) return mode.error();
  auto row = mode->Step();
  if (!row.ok()) return row.error();
  std::string got = *row ? mode->ColumnText(0) : "";
  if (got != "wal") {
    return Error(ErrorCode::kFailedPrecondition,
                 "could not switch to WAL journal mode (got \"" + got + "\")");
  }
  // FULL: a commit is synced to the WAL before sqlite3_step returns, so a transition that
  // Transition() reported is on disk before any watcher hears of it.
  return SqliteExec(db_, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
}

Status SqliteStore::Migrate() {
  std::lock_guard<std::mutex> lock(mu_);
  auto ver = SqliteStmt::Prepare(db_, "PRAGMA user_version");
  if (!ver.ok()) return ver.error();
  auto row = ver->Step();
  if (!row.ok()) return row.error();
  int version = *row ? static_cast<int>(ver->ColumnInt64(0)) : 0;
  if (version > kNumMigrations) {
    return Error(ErrorCode::kFailedPrecondition,
                 "schema version " + std::to_string(version) + " is newer than this vped knows (" +
                     std::to_string(kNumMigrations) + "); upgrade vped");
  }
  for (int v = version; v < kNumMigrations; ++v) {
    auto txn = SqliteTxn::Begin(db_);
    if (!txn.ok()) return txn.error();
    std::string ctx = "migrating schema to version " + std::to_string(v + 1);
    if (auto s = SqliteExec(db_, kMigrations[v]); !s.ok()) return s.error().WithContext(ctx);
    if (auto s = SqliteExec(db_, "PRAGMA user_version=" + std::to_string(v + 1)); !s.ok()) {
      return s.error().WithContext(ctx);
    }
    if (auto s = txn->Commit(); !s.ok()) return s.error().WithContext(ctx);
  }
  return OkStatus();
}

Result<std::optional<Task>> SqliteStore::LoadTaskLocked(const char* column,
                                                        const std::string& value) {
  auto s = SqliteStmt::Prepare(
      db_, std::string("SELECT ") + kTaskColumns + " FROM tasks WHERE " + column + " = ?");
  if (!s.ok()) return s.error();
  s->Bind(1, value);
  auto tasks = CollectTasks(*s);
  if (!tasks.ok()) return tasks.error();
  if (tasks->empty()) return std::optional<Task>();
  return std::optional<Task>(std::move(tasks->front()));
}

Status SqliteStore::ApplyUpdateLocked(const std::string& id, const TaskUpdate& f) {
  std::string sql = "UPDATE tasks SET ";
  std::vector<std::string> sets;
  if (f.exit_code) sets.push_back("exit_code = ?");
  if (f.oom_killed) sets.push_back("oom_killed = ?");
  if (f.result_json) sets.push_back("result_json = ?");
  if (f.image) sets.push_back("image = ?");
  if (f.container_id) sets.push_back("container_id = ?");
  if (f.started_at) sets.push_back("started_at_ns = ?");
  if (f.finished_at) sets.push_back("finished_at_ns = ?");
  if (f.log_bytes) sets.push_back("log_bytes = ?");
  if (sets.empty()) sets.push_back("id = id");  // still tells us whether the task exists
  for (size_t i = 0; i < sets.size(); ++i) sql += (i ? ", " : "") + sets[i];
  sql += " WHERE id = ?";
  auto s = SqliteStmt::Prepare(db_, sql);
  if (!s.ok()) return s.error();
  int i = 1;
  if (f.exit_code) s->Bind(i++, *f.exit_code);
  if (f.oom_killed) s->Bind(i++, static_cast<int64_t>(*f.oom_killed ? 1 : 0));
  if (f.result_json) s->Bind(i++, *f.result_json);
  if (f.image) s->Bind(i++, *f.image);
  if (f.container_id) s->Bind(i++, *f.container_id);
  if (f.started_at) s->Bind(i++, ToNanos(*f.started_at));
  if (f.finished_at) s->Bind(i++, ToNanos(*f.finished_at));
  if (f.log_bytes) s->Bind(i++, *f.log_bytes);
  s->Bind(i, id);
  VPE_RETURN_IF_ERROR(s->Run());
  if (s->Changes() == 0) return Error(ErrorCode::kNotFound, NotFound(id));
  return OkStatus();
}

Result<CreateTaskResult> SqliteStore::CreateTask(const Task& in) {
  Task t = in;
  if (t.id.empty()) t.id = NewTaskId();
  if (t.created_at == TimePoint{}) t.created_at = Clock::now();
  t.state = TaskState::kQueued;
  t.last_seq = 1;
  std::string ctx = "creating task " + t.id;

  std::lock_guard<std::mutex> lock(mu_);
  auto txn = SqliteTxn::Begin(db_);
  if (!txn.ok()) return txn.error().WithContext(ctx);
  if (!t.task_key.empty()) {
    auto existing = LoadTaskLocked("task_key", t.task_key);
    if (!existing.ok()) return existing.error().WithContext(ctx);
    if (*existing) return CreateTaskResult{std::move(**existing), false};
  }
  auto exists = LoadTaskLocked("id", t.id);
  if (!exists.ok()) return exists.error().WithContext(ctx);
  if (*exists) return Error(ErrorCode::kAlreadyExists, "task " + t.id + " already exists");

  auto ins = SqliteStmt::Prepare(db_, R"sql(
INSERT INTO tasks (id, task_key, environment, command, env, secret_env_keys, memory_bytes, cpus,
  pids, timeout_ms, labels, priority, state, reason, exit_code, oom_killed, result_json, image,
  container_id, created_at_ns, started_at_ns, finished_at_ns, last_seq, log_bytes, volumes)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?))sql");
  if (!ins.ok()) return ins.error().WithContext(ctx);
  ins->Bind(1, t.id);
  if (t.task_key.empty()) {
    ins->BindNull(2);
  } else {
    ins->Bind(2, t.task_key);
  }
  ins->Bind(3, t.environment)
      .Bind(4, Dump(json(t.command)))
      .Bind(5, Dump(json(t.env)))
      .Bind(6, Dump(json(t.secret_env_keys)))
      .Bind(7, t.resources.memory_bytes)
      .BindDouble(8, t.resources.cpus)
      .Bind(9, t.resources.pids)
      .Bind(10, static_cast<int64_t>(t.timeout.count()))
      .Bind(11, Dump(json(t.labels)))
      .Bind(12, static_cast<int64_t>(t.priority))
      .Bind(13, TaskStateName(t.state))
      .Bind(14, t.reason)
      .Bind(15, t.exit_code)
      .Bind(16, static_cast<int64_t>(t.oom_killed ? 1 : 0))
      .Bind(17, t.result_json)
      .Bind(18, t.image)
      .Bind(19, t.container_id)
      .Bind(20, ToNanos(t.created_at))
      .Bind(21, ToNanos(t.started_at))
      .Bind(22, ToNanos(t.finished_at))
      .Bind(23, t.last_seq)
      .Bind(24, t.log_bytes);
  json volumes = json::array();
  for (const VolumeMount& v : t.volumes) {
    volumes.push_back({{"name", v.name}, {"target", v.target}, {"read_only", v.read_only}});
  }
  ins->Bind(25, Dump(volumes));
  if (auto s = ins->Run(); !s.ok()) return s.error().WithContext(ctx);

  auto ev = SqliteStmt::Prepare(
      db_, "INSERT INTO task_events (task_id, seq, time_ns, state, reason) VALUES (?, 1, ?, ?, ?)");
  if (!ev.ok()) return ev.error().WithContext(ctx);
  ev->Bind(1, t.id)
      .Bind(2, ToNanos(t.created_at))
      .Bind(3, TaskStateName(t.state))
      .Bind(4, t.reason);
  if (auto s = ev->Run(); !s.ok()) return s.error().WithContext(ctx);
  if (auto s = txn->Commit(); !s.ok()) return s.error().WithContext(ctx);
  return CreateTaskResult{std::move(t), true};
}

Result<TaskEvent> SqliteStore::Transition(const std::string& id, TaskState to,
                                          const std::string& reason, const TaskUpdate& fields) {
  std::string ctx = std::string("task ") + id + ": transition to " + TaskStateName(to);
  std::lock_guard<std::mutex> lock(mu_);
  auto txn = SqliteTxn::Begin(db_);
  if (!txn.ok()) return txn.error().WithContext(ctx);
  auto cur = LoadTaskLocked("id", id);
  if (!cur.ok()) return cur.error().WithContext(ctx);
  if (!*cur) return Error(ErrorCode::kNotFound, NotFound(id));
  const Task& t = **cur;
  if (!CanTransition(t.state, to)) {
    return Error(ErrorCode::kFailedPrecondition, "task " + id + ": illegal transition " +
                                                     TaskStateName(t.state) + " -> " +
                                                     TaskStateName(to));
  }
  TaskEvent event;
  event.task_id = id;
  event.seq = t.last_seq + 1;
  event.time = Clock::now();
  event.state = to;
  event.reason = reason;

  TaskUpdate f = fields;
  if (to == TaskState::kRunning && !f.started_at && !t.started_at) f.started_at = event.time;
  if (IsTerminal(to) && !f.finished_at) f.finished_at = event.time;
  if (auto s = ApplyUpdateLocked(id, f); !s.ok()) return s.error().WithContext(ctx);

  auto up =
      SqliteStmt::Prepare(db_, "UPDATE tasks SET state = ?, reason = ?, last_seq = ? WHERE id = ?");
  if (!up.ok()) return up.error().WithContext(ctx);
  up->Bind(1, TaskStateName(to)).Bind(2, reason).Bind(3, event.seq).Bind(4, id);
  if (auto s = up->Run(); !s.ok()) return s.error().WithContext(ctx);

  auto ev = SqliteStmt::Prepare(
      db_, "INSERT INTO task_events (task_id, seq, time_ns, state, reason) VALUES (?, ?, ?, ?, ?)");
  if (!ev.ok()) return ev.error().WithContext(ctx);
  ev->Bind(1, id)
      .Bind(2, event.seq)
      .Bind(3, ToNanos(event.time))
      .Bind(4, TaskStateName(to))
      .Bind(5, reason);
  if (auto s = ev->Run(); !s.ok()) return s.error().WithContext(ctx);
  if (auto s = txn->Commit(); !s.ok()) return s.error().WithContext(ctx);
  return event;
}

Status SqliteStore::UpdateTask(const std::string& id, const TaskUpdate& fields) {
  std::lock_guard<std::mutex> lock(mu_);
  auto s = ApplyUpdateLocked(id, fields);
  if (!s.ok() && s.error().code != ErrorCode::kNotFound) {
    return s.error().WithContext("updating task " + id);
  }
  return s;
}

Result<Task> SqliteStore::GetTask(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto t = LoadTaskLocked("id", id);
  if (!t.ok()) return t.error().WithContext("reading task " + id);
  if (!*t) return Error(ErrorCode::kNotFound, NotFound(id));
  return std::move(**t);
}

Result<std::optional<Task>> SqliteStore::FindByKey(const std::string& task_key) {
  if (task_key.empty()) return std::optional<Task>();
  std::lock_guard<std::mutex> lock(mu_);
  auto t = LoadTaskLocked("task_key", task_key);
  if (!t.ok()) return t.error().WithContext("reading task with key " + task_key);
  return t;
}

Result<ListResult> SqliteStore::ListTasks(const ListQuery& q) {
  if (q.page_size < 0) {
    return Error(ErrorCode::kInvalidArgument, "page_size: must not be negative");
  }
  int page_size = q.page_size == 0 ? ListQuery::kDefaultPageSize
                                   : std::min(q.page_size, ListQuery::kMaxPageSize);
  std::optional<int64_t> after;
  if (!q.page_token.empty()) {
    auto pk = DecodePageToken(q);
    if (!pk.ok()) return pk.error();
    after = *pk;
  }

  std::string sql = std::string("SELECT ") + kTaskColumns + " FROM tasks WHERE 1 = 1";
  if (!q.states.empty()) {
    sql += " AND state IN (";
    for (size_t i = 0; i < q.states.size(); ++i) sql += i ? ", ?" : "?";
    sql += ")";
  }
  if (!q.environment.empty()) sql += " AND environment = ?";
  for (size_t i = 0; i < q.labels.size(); ++i) {
    // json_each compares keys as data, so label keys with dots or quotes need no escaping.
    sql +=
        " AND EXISTS (SELECT 1 FROM json_each(tasks.labels) WHERE json_each.key = ? "
        "AND json_each.value = ?)";
  }
  if (after) sql += q.newest_first ? " AND pk < ?" : " AND pk > ?";
  sql += q.newest_first ? " ORDER BY pk DESC" : " ORDER BY pk ASC";
  sql += " LIMIT ?";

  std::lock_guard<std::mutex> lock(mu_);
  auto s = SqliteStmt::Prepare(db_, sql);
  if (!s.ok()) return s.error().WithContext("listing tasks");
  int i = 1;
  for (TaskState st : q.states) s->Bind(i++, TaskStateName(st));
  if (!q.environment.empty()) s->Bind(i++, q.environment);
  for (const auto& [k, v] : q.labels) {
    s->Bind(i, k).Bind(i + 1, v);
    i += 2;
  }
  if (after) s->Bind(i++, *after);
  s->Bind(i, static_cast<int64_t>(page_size) + 1);  // one more tells whether a next page exists
  std::vector<int64_t> pks;
  auto tasks = CollectTasks(*s, &pks);
  if (!tasks.ok()) return tasks.error().WithContext("listing tasks");
  ListResult out;
  out.tasks = std::move(*tasks);
  if (out.tasks.size() > static_cast<size_t>(page_size)) {
    out.tasks.resize(page_size);
    out.next_page_token = EncodePageToken(q, pks[page_size - 1]);
  }
  return out;
}

Result<std::vector<TaskEvent>> SqliteStore::EventsAfter(const std::string& id, int64_t after_seq) {
  std::lock_guard<std::mutex> lock(mu_);
  auto s = SqliteStmt::Prepare(db_,
                               "SELECT seq, time_ns, state, reason FROM task_events "
                               "WHERE task_id = ? AND seq > ? ORDER BY seq");
  if (!s.ok()) return s.error();
  s->Bind(1, id).Bind(2, after_seq);
  std::vector<TaskEvent> out;
  for (;;) {
    auto row = s->Step();
    if (!row.ok()) return row.error().WithContext("reading events of task " + id);
    if (!*row) break;
    TaskEvent e;
    e.task_id = id;
    e.seq = s->ColumnInt64(0);
    e.time = FromNanos(s->ColumnInt64(1));
    auto st = TaskStateFromName(s->ColumnText(2));
    if (!st) {
      return Error(ErrorCode::kInternal, "task " + id + ": unknown state \"" + s->ColumnText(2) +
                                             "\" in event " + std::to_string(e.seq));
    }
    e.state = *st;
    e.reason = s->ColumnText(3);
    out.push_back(std::move(e));
  }
  if (out.empty()) {
    // No events: tell an unknown task apart from one that has nothing new.
    auto t = LoadTaskLocked("id", id);
    if (!t.ok()) return t.error();
    if (!*t) return Error(ErrorCode::kNotFound, NotFound(id));
  }
  return out;
}

Result<std::vector<Task>> SqliteStore::ListNonTerminal() {
  std::string sql = std::string("SELECT ") + kTaskColumns + " FROM tasks WHERE state IN (";
  bool first = true;
  for (TaskState st : kAllStates) {
    if (IsTerminal(st)) continue;
    sql += std::string(first ? "'" : ", '") + TaskStateName(st) + "'";
    first = false;
  }
  sql += ") ORDER BY pk";
  std::lock_guard<std::mutex> lock(mu_);
  auto s = SqliteStmt::Prepare(db_, sql);
  if (!s.ok()) return s.error();
  auto tasks = CollectTasks(*s);
  if (!tasks.ok()) return tasks.error().WithContext("listing non-terminal tasks");
  return tasks;
}

Result<std::map<TaskState, int64_t>> SqliteStore::CountByState() {
  std::map<TaskState, int64_t> out;
  for (TaskState st : kAllStates) out[st] = 0;
  std::lock_guard<std::mutex> lock(mu_);
  auto s = SqliteStmt::Prepare(db_, "SELECT state, COUNT(*) FROM tasks GROUP BY state");
  if (!s.ok()) return s.error();
  for (;;) {
    auto row = s->Step();
    if (!row.ok()) return row.error().WithContext("counting tasks");
    if (!*row) break;
    if (auto st = TaskStateFromName(s->ColumnText(0))) out[*st] = s->ColumnInt64(1);
  }
  return out;
}

Status SqliteStore::UpsertEnvironment(const EnvironmentRecord& env) {
  std::lock_guard<std::mutex> lock(mu_);
  auto s = SqliteStmt::Prepare(db_, R"sql(
INSERT INTO environments (name, image_tag, spec_hash, built_at_ns, updated_at_ns)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT(name) DO UPDATE SET image_tag = excluded.image_tag, spec_hash = excluded.spec_hash,
  built_at_ns = excluded.built_at_ns, updated_at_ns = excluded.updated_at_ns)sql");
  if (!s.ok()) return s.error();
  s->Bind(1, env.name)
      .Bind(2, env.image_tag)
      .Bind(3, env.spec_hash)
      .Bind(4, ToNanos(env.built_at))
      .Bind(5, ToNanos(Clock::now()));
  if (auto r = s->Run(); !r.ok()) return r.error().WithContext("recording environment " + env.name);
  return OkStatus();
}

namespace {
Result<std::vector<EnvironmentRecord>> CollectEnvironments(SqliteStmt& s) {
  std::vector<EnvironmentRecord> out;
  for (;;) {
    auto row = s.Step();
    if (!row.ok()) return row.error().WithContext("reading environments");
    if (!*row) break;
    EnvironmentRecord e;
    e.name = s.ColumnText(0);
    e.image_tag = s.ColumnText(1);
    e.spec_hash = s.ColumnText(2);
    e.built_at = FromNanos(s.ColumnOptionalInt64(3));
    out.push_back(std::move(e));
  }
  return out;
}
}  // namespace

Result<std::optional<EnvironmentRecord>> SqliteStore::GetEnvironment(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto s = SqliteStmt::Prepare(
      db_, "SELECT name, image_tag, spec_hash, built_at_ns FROM environments WHERE name = ?");
  if (!s.ok()) return s.error();
  s->Bind(1, name);
  auto envs = CollectEnvironments(*s);
  if (!envs.ok()) return envs.error();
  if (envs->empty()) return std::optional<EnvironmentRecord>();
  return std::optional<EnvironmentRecord>(std::move(envs->front()));
}

Result<std::vector<EnvironmentRecord>> SqliteStore::ListEnvironments() {
  std::lock_guard<std::mutex> lock(mu_);
  auto s = SqliteStmt::Prepare(
      db_, "SELECT name, image_tag, spec_hash, built_at_ns FROM environments ORDER BY name");
  if (!s.ok()) return s.error();
  return CollectEnvironments(*s);
}

}  // namespace vpe::orch
