#pragma once
// RAII wrappers over the SQLite C API used by SqliteStore: a prepared statement that finalizes
// itself, and a transaction that rolls back unless committed. Neither is thread-safe; the owner
// of the connection serialises access (SqliteStore holds a mutex around every call).

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace vpe::orch {

// An Error for the last failure on `db`, prefixed with `context` ("preparing ...: disk I/O
// error"). SQLITE_BUSY and SQLITE_LOCKED map to kUnavailable, everything else to kInternal.
Error SqliteError(sqlite3* db, int rc, const std::string& context);

class SqliteStmt {
 public:
  static Result<SqliteStmt> Prepare(sqlite3* db, std::string_view sql);

  SqliteStmt(SqliteStmt&& other) noexcept;
  SqliteStmt& operator=(SqliteStmt&& other) noexcept;
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;
  ~SqliteStmt();

  // Binders take 1-based indexes like sqlite3_bind_*. A failed bind (a bug: wrong index) is
  // remembered and returned by the next Step(), so call sites stay linear.
  SqliteStmt& Bind(int index, int64_t value);
  SqliteStmt& Bind(int index, std::string_view value);
  SqliteStmt& BindNull(int index);
  SqliteStmt& Bind(int index, const std::optional<int64_t>& value);
  SqliteStmt& BindDouble(int index, double value);

  // Advances: true when a row is available, false when done.
  Result<bool> Step();
  // Steps once and expects SQLITE_DONE (INSERT, UPDATE, DELETE, DDL).
  Status Run();
  // Resets the statement for re-execution and clears its bindings.
  void Reset();

  int64_t ColumnInt64(int col) const;
  double ColumnDouble(int col) const;
  std::string ColumnText(int col) const;
  bool ColumnIsNull(int col) const;
  std::optional<int64_t> ColumnOptionalInt64(int col) const;

  // Rows changed by the last INSERT/UPDATE/DELETE on this statement's connection.
  int Changes() const;

 private:
  SqliteStmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  void NoteBind(int rc, int index);

  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::optional<Error> bind_error_;
};

// Runs one or more statements without results (PRAGMA, DDL, BEGIN/COMMIT).
Status SqliteExec(sqlite3* db, const std::string& sql);

// BEGIN IMMEDIATE on construction (through Begin), ROLLBACK on destruction unless Commit()
// succeeded. IMMEDIATE takes the write lock up front so a read-then-write cannot deadlock or
// fail with SQLITE_BUSY half way through.
class SqliteTxn {
 public:
  static Result<SqliteTxn> Begin(sqlite3* db);

  SqliteTxn(SqliteTxn&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  SqliteTxn& operator=(SqliteTxn&&) = delete;
  SqliteTxn(const SqliteTxn&) = delete;
  SqliteTxn& operator=(const SqliteTxn&) = delete;
  ~SqliteTxn();

  Status Commit();

 private:
  explicit SqliteTxn(sqlite3* db) : db_(db) {}
  sqlite3* db_;  // null once committed or rolled back
};

}  // namespace vpe::orch
