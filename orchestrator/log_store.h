#pragma once
// The log of one task on disk, capped: the first cap/2 bytes (head) and the last cap/2 bytes
// (tail) are kept, the bytes in between are dropped and counted. Every appended chunk gets a
// logical offset, the number of bytes appended before it including dropped ones, so a watcher
// can resume at any byte offset and get neither a gap nor a repeat of retained data.
//
// Layout: <dir>/<task_id>/head.log holds the head; the tail lives in segments
// tail-<start offset>.log of about tail_cap/8 bytes each (at least min(tail_cap, 64 KiB)); a
// segment is deleted once all of it lies before the last tail_cap bytes. Files hold records:
// a 16-byte header (magic, stream, length, time) and the data. On disk a log stays within
// cap + one segment + the record headers; in memory within a few words per 64 KiB retained.
// Appends are not synced (Sync() does that); Open() cuts a torn last record after a crash.
//
// Thread-safety: every method may be called from any thread; typically one writer (the task's
// log follower) and several readers (watchers).

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "orchestrator/task.h"

namespace vpe::orch {

enum class LogStream : uint8_t { kStdout = 1, kStderr = 2 };

const char* LogStreamName(LogStream s);  // "stdout" | "stderr"

struct LogRecord {
  LogStream stream = LogStream::kStdout;
  int64_t offset = 0;  // logical offset of data[0] (or of the first dropped byte)
  TimePoint time{};    // when the chunk holding these bytes was appended
  std::string data;
  // A marker instead of data when > 0: bytes [offset, offset + dropped) were dropped by the cap.
  int64_t dropped = 0;

  int64_t end() const { return offset + static_cast<int64_t>(data.size()) + dropped; }
};

class TaskLog {
 public:
  // Starts an empty log for `task_id` under `dir` (created if missing). kAlreadyExists when the
  // task already has a log there; kInvalidArgument for a cap < 2 or an id that is not a plain
  // file name; kInternal (with the path and errno text) when the directory cannot be written.
  static Result<std::unique_ptr<TaskLog>> Create(const std::string& dir, const std::string& task_id,
                                                 int64_t cap_bytes);
  // Reopens an existing log (after a restart) to read and append. kNotFound when there is none.
  static Result<std::unique_ptr<TaskLog>> Open(const std::string& dir, const std::string& task_id,
                                               int64_t cap_bytes);
  // Deletes the log of `task_id` under `dir`; no error when there is none.
  static Status Remove(const std::string& dir, const std::string& task_id);

  ~TaskLog();
  TaskLog(const TaskLog&) = delete;
  TaskLog& operator=(const TaskLog&) = delete;

  // Appends a chunk and returns its logical offset. An empty chunk writes nothing and returns
  // total_bytes(). On an I/O error (disk full) the part that was written stays counted.
  Result<int64_t> Append(LogStream stream, std::string_view data, TimePoint time = Clock::now());

  // Retained bytes from logical `offset` on, at most `max_bytes` of data, as records (a record is
  // split when `offset` or the budget falls inside it). When `offset` lies in the dropped range,
  // the first record is a marker covering the dropped bytes up to the retained tail. Resume with
  // the end() of the last record. Empty when offset >= total_bytes() or max_bytes == 0.
  Result<std::vector<LogRecord>> ReadFrom(int64_t offset, size_t max_bytes) const;

  // Flushes appended data to disk (call before announcing a terminal state).
  Status Sync();

  int64_t total_bytes() const;    // logical bytes appended, retained or not
  int64_t dropped_bytes() const;  // bytes between head and tail no longer stored
  int64_t disk_bytes() const;     // bytes of the files on disk, headers included
  int64_t cap_bytes() const { return cap_; }
  const std::string& path() const { return path_; }  // the task's log directory

 private:
  struct Checkpoint {
    int64_t offset;  // logical offset of the record starting at pos
    int64_t pos;     // file position of its header
  };
  struct File {
    std::string path;
    int fd = -1;
    int64_t start = 0;                    // logical offset of the first byte
    int64_t data_bytes = 0;               // data bytes in the file
    int64_t file_bytes = 0;               // headers + data
    std::vector<Checkpoint> checkpoints;  // sparse index, one per kCheckpointEvery file bytes
    int64_t end() const { return start + data_bytes; }
  };

  TaskLog(std::string path, int64_t cap);
  static Result<std::unique_ptr<TaskLog>> Load(const std::string& dir, const std::string& task_id,
                                               int64_t cap_bytes, bool create);
  static Status OpenFile(File* f, bool truncate);
  static Status ScanFile(File* f);
  Status WriteRecord(File* f, LogStream stream, std::string_view data, int64_t time_ns);
  Status StartSegmentLocked();
  void TrimLocked();
  Status ReadRangeLocked(const File& f, int64_t* pos, int64_t end, size_t* budget,
                         std::vector<LogRecord>* out) const;

  const std::string path_;
  const int64_t cap_;
  // A plain mutex, not a shared one: readers that poll would starve the writer under glibc's
  // reader-preferring rwlock, and every read is bounded by its max_bytes.
  mutable std::mutex mu_;
  int64_t head_cap_;  // data bytes the head keeps
  int64_t tail_cap_;  // data bytes the tail keeps
  int64_t seg_size_;  // data bytes per tail segment
  File head_;
  std::vector<File> segments_;  // ascending start; the last one is written
  int64_t total_ = 0;
  int64_t tail_start_ = 0;  // first retained tail byte
};

}  // namespace vpe::orch
