#pragma once
// Store on one SQLite file: WAL journal, synchronous=FULL (a commit is on disk before the call
// returns), a busy timeout, and a schema versioned through PRAGMA user_version with migrations
// applied in order on Open. One connection guarded by a mutex: vped's write rate (a few events
// per task) is far below what one connection sustains.

#include <sqlite3.h>

#include <memory>
#include <mutex>
#include <string>

#include "orchestrator/store.h"

namespace vpe::orch {

class SqliteStore : public Store {
 public:
  // Opens or creates the database at `path` and migrates it to the current schema. Fails with
  // kFailedPrecondition when the parent directory is missing or not writable (WAL needs to create
  // its -wal and -shm files beside the database), or when the file's schema is newer than this
  // binary knows; kInternal when the file is not a database.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path);

  // The schema version this binary migrates to.
  static int SchemaVersion();

  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Result<CreateTaskResult> CreateTask(const Task& task) override;
  Result<TaskEvent> Transition(const std::string& id, TaskState to, const std::string& reason,
                               const TaskUpdate& fields) override;
  Status UpdateTask(const std::string& id, const TaskUpdate& fields) override;
  Result<Task> GetTask(const std::string& id) override;
  Result<std::optional<Task>> FindByKey(const std::string& task_key) override;
  Result<ListResult> ListTasks(const ListQuery& query) override;
  Result<std::vector<TaskEvent>> EventsAfter(const std::string& id, int64_t after_seq) override;
  Result<std::vector<Task>> ListNonTerminal() override;
  Result<std::map<TaskState, int64_t>> CountByState() override;
  Status UpsertEnvironment(const EnvironmentRecord& env) override;
  Result<std::optional<EnvironmentRecord>> GetEnvironment(const std::string& name) override;
  Result<std::vector<EnvironmentRecord>> ListEnvironments() override;

  const std::string& path() const { return path_; }

 private:
  SqliteStore(std::string path, sqlite3* db) : path_(std::move(path)), db_(db) {}
  Status Configure();
  Status Migrate();
  // Callers hold mu_.
  Result<std::optional<Task>> LoadTaskLocked(const char* column, const std::string& value);
  Status ApplyUpdateLocked(const std::string& id, const TaskUpdate& fields);

  const std::string path_;
  std::mutex mu_;
  sqlite3* db_;  // guarded by mu_
};

}  // namespace vpe::orch
