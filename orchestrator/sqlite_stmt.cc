#include "orchestrator/sqlite_stmt.h"

#include <utility>

namespace vpe::orch {

Error SqliteError(sqlite3* db, int rc, const std::string& context) {
  std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  int primary = rc & 0xff;
  ErrorCode code = (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) ? ErrorCode::kUnavailable
                                                                        : ErrorCode::kInternal;
  return Error(code, context + ": " + msg);
}

Result<SqliteStmt> SqliteStmt::Prepare(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return SqliteError(db, rc, "preparing \"" + std::string(sql.substr(0, 60)) + "\"");
  }
  return SqliteStmt(db, stmt);
}

SqliteStmt::SqliteStmt(SqliteStmt&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), bind_error_(std::move(other.bind_error_)) {
  other.stmt_ = nullptr;
}

SqliteStmt& SqliteStmt::operator=(SqliteStmt&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = other.stmt_;
    bind_error_ = std::move(other.bind_error_);
    other.stmt_ = nullptr;
  }
  return *this;
}

SqliteStmt::~SqliteStmt() { sqlite3_finalize(stmt_); }

void SqliteStmt::NoteBind(int rc, int index) {
  if (rc != SQLITE_OK && !bind_error_) {
    bind_error_ = SqliteError(db_, rc, "binding parameter " + std::to_string(index));
  }
}

SqliteStmt& SqliteStmt::Bind(int index, int64_t value) {
  NoteBind(sqlite3_bind_int64(stmt_, index, value), index);
  return *this;
}

SqliteStmt& SqliteStmt::Bind(int index, std::string_view value) {
  NoteBind(sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                             SQLITE_TRANSIENT),
           index);
  return *this;
}

SqliteStmt& SqliteStmt::BindNull(int index) {
  NoteBind(sqlite3_bind_null(stmt_, index), index);
  return *this;
}

SqliteStmt& SqliteStmt::Bind(int index, const std::optional<int64_t>& value) {
  return value ? Bind(index, *value) : BindNull(index);
}

SqliteStmt& SqliteStmt::BindDouble(int index, double value) {
  NoteBind(sqlite3_bind_double(stmt_, index, value), index);
  return *this;
}

Result<bool> SqliteStmt::Step() {
  if (bind_error_) return *bind_error_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db_, rc,
                     "executing \"" + std::string(sqlite3_sql(stmt_)).substr(0, 60) + "\"");
}

Status SqliteStmt::Run() {
  auto r = Step();
  if (!r.ok()) return r.error();
  if (*r) return Error(ErrorCode::kInternal, "statement returned rows unexpectedly");
  return OkStatus();
}

void SqliteStmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_error_.reset();
}

int64_t SqliteStmt::ColumnInt64(int col) const { return sqlite3_column_int64(stmt_, col); }

double SqliteStmt::ColumnDouble(int col) const { return sqlite3_column_double(stmt_, col); }

std::string SqliteStmt::ColumnText(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_, col);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

bool SqliteStmt::ColumnIsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

std::optional<int64_t> SqliteStmt::ColumnOptionalInt64(int col) const {
  if (ColumnIsNull(col)) return std::nullopt;
  return ColumnInt64(col);
}

int SqliteStmt::Changes() const { return sqlite3_changes(db_); }

Status SqliteExec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    int primary = rc & 0xff;
    ErrorCode code = (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) ? ErrorCode::kUnavailable
                                                                          : ErrorCode::kInternal;
    return Error(code, "executing \"" + sql.substr(0, 60) + "\": " + msg);
  }
  return OkStatus();
}

Result<SqliteTxn> SqliteTxn::Begin(sqlite3* db) {
  VPE_RETURN_IF_ERROR(SqliteExec(db, "BEGIN IMMEDIATE"));
  return SqliteTxn(db);
}

SqliteTxn::~SqliteTxn() {
  if (db_ != nullptr) (void)SqliteExec(db_, "ROLLBACK");
}

Status SqliteTxn::Commit() {
  sqlite3* db = db_;
  VPE_RETURN_IF_ERROR(SqliteExec(db, "COMMIT"));
  db_ = nullptr;
  return OkStatus();
}

}  // namespace vpe::orch
