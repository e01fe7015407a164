#include "orchestrator/log_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <utility>

namespace vpe::orch {
namespace {

constexpr size_t kHeaderSize = 16;
constexpr uint8_t kMagic = 0xA5;
constexpr int64_t kCheckpointEvery = 64 * 1024;
constexpr int64_t kMaxRecordData = 16 * 1024 * 1024;  // a larger chunk becomes several records
constexpr int64_t kMinSegment = 64 * 1024;
constexpr const char* kHeadName = "head.log";
constexpr const char* kSegmentPrefix = "tail-";
constexpr const char* kSegmentSuffix = ".log";

struct Header {
  LogStream stream;
  uint32_t len;
  int64_t time_ns;
};

void EncodeHeader(const Header& h, unsigned char* out) {
  out[0] = kMagic;
  out[1] = static_cast<unsigned char>(h.stream);
  out[2] = out[3] = 0;
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<unsigned char>(h.len >> (8 * i));
  auto t = static_cast<uint64_t>(h.time_ns);
  for (int i = 0; i < 8; ++i) out[8 + i] = static_cast<unsigned char>(t >> (8 * i));
}

bool DecodeHeader(const unsigned char* in, Header* h) {
  if (in[0] != kMagic || (in[1] != 1 && in[1] != 2) || in[2] != 0 || in[3] != 0) return false;
  h->stream = static_cast<LogStream>(in[1]);
  h->len = 0;
  for (int i = 0; i < 4; ++i) h->len |= static_cast<uint32_t>(in[4 + i]) << (8 * i);
  uint64_t t = 0;
  for (int i = 0; i < 8; ++i) t |= static_cast<uint64_t>(in[8 + i]) << (8 * i);
  h->time_ns = static_cast<int64_t>(t);
  return true;
}

Error ErrnoError(const std::string& what, const std::string& path) {
  return Error(ErrorCode::kInternal, what + " " + path + ": " + std::strerror(errno));
}

Status PwriteAll(int fd, const char* data, size_t len, int64_t pos, const std::string& path) {
  while (len > 0) {
    ssize_t n = ::pwrite(fd, data, len, pos);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("writing", path);
    }
    data += n;
    len -= static_cast<size_t>(n);
    pos += n;
  }
  return OkStatus();
}

Status PreadAll(int fd, char* data, size_t len, int64_t pos, const std::string& path) {
  while (len > 0) {
    ssize_t n = ::pread(fd, data, len, pos);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("reading", path);
    }
    if (n == 0) return Error(ErrorCode::kInternal, "reading " + path + ": unexpected end of file");
    data += n;
    len -= static_cast<size_t>(n);
    pos += n;
  }
  return OkStatus();
}

std::string SegmentName(int64_t start) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s%020lld%s", kSegmentPrefix, static_cast<long long>(start),
                kSegmentSuffix);
  return buf;
}

// The start offset encoded in a segment file name, or -1 for any other name.
int64_t ParseSegmentName(const std::string& name) {
  std::string prefix = kSegmentPrefix;
  std::string suffix = kSegmentSuffix;
  if (name.size() != prefix.size() + 20 + suffix.size()) return -1;
  if (name.compare(0, prefix.size(), prefix) != 0) return -1;
  if (name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) return -1;
  std::string digits = name.substr(prefix.size(), 20);
  if (digits.find_first_not_of("0123456789") != std::string::npos) return -1;
  return static_cast<int64_t>(std::stoll(digits));
}

bool ValidTaskId(const std::string& id) {
  return !id.empty() && id != "." && id != ".." && id.find('/') == std::string::npos &&
         id.find('\0') == std::string::npos;
}

int64_t ToNanos(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

TimePoint FromNanos(int64_t ns) {
  return TimePoint(std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ns)));
}

}  // namespace

const char* LogStreamName(LogStream s) { return s == LogStream::kStderr ? "stderr" : "stdout"; }

TaskLog::TaskLog(std::string path, int64_t cap)
    : path_(std::move(path)),
      cap_(cap),
      head_cap_(cap / 2),
      tail_cap_(cap - cap / 2),
      seg_size_(std::max((tail_cap_ + 7) / 8, std::min(tail_cap_, kMinSegment))) {}

TaskLog::~TaskLog() {
  if (head_.fd >= 0) ::close(head_.fd);
  for (File& f : segments_) ::close(f.fd);
}

Result<std::unique_ptr<TaskLog>> TaskLog::Create(const std::string& dir, const std::string& task_id,
                                                 int64_t cap_bytes) {
  return Load(dir, task_id, cap_bytes, /*create=*/true);
}

Result<std::unique_ptr<TaskLog>> TaskLog::Open(const std::string& dir, const std::string& task_id,
                                               int64_t cap_bytes) {
  return Load(dir, task_id, cap_bytes, /*create=*/false);
}

Status TaskLog::Remove(const std::string& dir, const std::string& task_id) {
  if (!ValidTaskId(task_id)) {
    return Error(ErrorCode::kInvalidArgument, "task id \"" + task_id + "\" is not a file name");
  }
  std::error_code ec;
  std::filesystem::remove_all(std::filesystem::path(dir) / task_id, ec);
  if (ec) {
    return Error(ErrorCode::kInternal,
                 "removing log of task " + task_id + " in " + dir + ": " + ec.message());
  }
  return OkStatus();
}

Result<std::unique_ptr<TaskLog>> TaskLog::Load(const std::string& dir, const std::string& task_id,
                                               int64_t cap_bytes, bool create) {
  if (!ValidTaskId(task_id)) {
    return Error(ErrorCode::kInvalidArgument, "task id \"" + task_id + "\" is not a file name");
  }
  if (cap_bytes < 2) {
    return Error(ErrorCode::kInvalidArgument,
                 "log cap must be at least 2 bytes, got " + std::to_string(cap_bytes));
  }
  std::string path = dir + "/" + task_id;
  std::string ctx = "log of task " + task_id;
  if (create) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return Error(ErrorCode::kInternal, ctx + ": creating " + dir + ": " + ec.message());
    }
    if (::mkdir(path.c_str(), 0700) != 0) {
      if (errno == EEXIST) {
        return Error(ErrorCode::kAlreadyExists, ctx + ": " + path + " already exists");
      }
      return ErrnoError(ctx + ": creating", path);
    }
  } else {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return Error(ErrorCode::kNotFound, ctx + ": no log at " + path);
    }
  }

  std::unique_ptr<TaskLog> log(new TaskLog(path, cap_bytes));
  log->head_.path = path + "/" + kHeadName;
  log->head_.start = 0;
  if (auto s = OpenFile(&log->head_, create); !s.ok()) return s.error().WithContext(ctx);
  if (create) return log;

  if (auto s = ScanFile(&log->head_); !s.ok()) return s.error().WithContext(ctx);
  DIR* d = ::opendir(path.c_str());
  if (d == nullptr) return ErrnoError(ctx + ": listing", path);
  std::vector<int64_t> starts;
  while (dirent* e = ::readdir(d)) {
    int64_t start = ParseSegmentName(e->d_name);
    if (start >= 0) starts.push_back(start);
  }
  ::closedir(d);
  std::sort(starts.begin(), starts.end());
  int64_t prev_end = log->head_.end();
  for (int64_t start : starts) {
    File f;
    f.path = path + "/" + SegmentName(start);
    f.start = start;
    if (auto s = OpenFile(&f, false); !s.ok()) return s.error().WithContext(ctx);
    log->segments_.push_back(f);  // owned from here on, closed by ~TaskLog
    if (auto s = ScanFile(&log->segments_.back()); !s.ok()) return s.error().WithContext(ctx);
    if (start < prev_end) {
      return Error(ErrorCode::kInternal, ctx + ": segment " + f.path + " overlaps bytes before " +
                                             std::to_string(prev_end));
    }
    prev_end = log->segments_.back().end();
  }
  log->total_ = prev_end;
  if (log->total_ > log->head_.data_bytes) {
    log->head_cap_ = log->head_.data_bytes;  // the head was closed before the restart
  } else {
    log->head_cap_ = std::max(log->head_cap_, log->head_.data_bytes);
  }
  log->TrimLocked();
  return log;
}

Status TaskLog::OpenFile(File* f, bool truncate) {
  int flags = O_RDWR | O_CREAT | O_CLOEXEC | (truncate ? O_TRUNC : 0);
  f->fd = ::open(f->path.c_str(), flags, 0600);
  if (f->fd < 0) return ErrnoError("opening", f->path);
  f->data_bytes = 0;
  f->file_bytes = 0;
  f->checkpoints.assign(1, Checkpoint{f->start, 0});
  return OkStatus();
}

// Rebuilds data_bytes and the sparse index of an existing file, and cuts a torn or corrupt tail
// (a crash between writing a header and its data).
Status TaskLog::ScanFile(File* f) {
  struct stat st {};
  if (::fstat(f->fd, &st) != 0) return ErrnoError("stat", f->path);
  const int64_t size = st.st_size;
  int64_t pos = 0;
  int64_t data = 0;
  int64_t last_cp = 0;
  while (pos + static_cast<int64_t>(kHeaderSize) <= size) {
    unsigned char buf[kHeaderSize];
    VPE_RETURN_IF_ERROR(PreadAll(f->fd, reinterpret_cast<char*>(buf), kHeaderSize, pos, f->path));
    Header h{};
    if (!DecodeHeader(buf, &h)) break;
    if (pos + static_cast<int64_t>(kHeaderSize) + h.len > size) break;
    if (pos - last_cp >= kCheckpointEvery) {
      f->checkpoints.push_back(Checkpoint{f->start + data, pos});
      last_cp = pos;
    }
    pos += static_cast<int64_t>(kHeaderSize) + h.len;
    data += h.len;
  }
  if (pos != size && ::ftruncate(f->fd, pos) != 0) return ErrnoError("truncating", f->path);
  f->data_bytes = data;
  f->file_bytes = pos;
  return OkStatus();
}

Status TaskLog::WriteRecord(File* f, LogStream stream, std::string_view data, int64_t time_ns) {
  unsigned char hdr[kHeaderSize];
  EncodeHeader(Header{stream, static_cast<uint32_t>(data.size()), time_ns}, hdr);
  Status s =
      PwriteAll(f->fd, reinterpret_cast<const char*>(hdr), kHeaderSize, f->file_bytes, f->path);
  if (s.ok()) {
    s = PwriteAll(f->fd, data.data(), data.size(), f->file_bytes + kHeaderSize, f->path);
  }
  if (!s.ok()) {
    // Cut what was written of this record, so the file stays a sequence of whole records.
    (void)::ftruncate(f->fd, f->file_bytes);
    return s;
  }
  if (f->file_bytes - f->checkpoints.back().pos >= kCheckpointEvery) {
    f->checkpoints.push_back(Checkpoint{f->end(), f->file_bytes});
  }
  f->file_bytes += static_cast<int64_t>(kHeaderSize + data.size());
  f->data_bytes += static_cast<int64_t>(data.size());
  return OkStatus();
}

Status TaskLog::StartSegmentLocked() {
  File f;
  f.start = total_;
  f.path = path_ + "/" + SegmentName(total_);
  VPE_RETURN_IF_ERROR(OpenFile(&f, /*truncate=*/true));
  segments_.push_back(f);
  return OkStatus();
}

void TaskLog::TrimLocked() {
  tail_start_ = std::max(head_.end(), total_ - tail_cap_);
  // Keep a segment while any of its bytes are among the last tail_cap; the last segment always
  // ends at total_ > tail_start_, so the file being written is never deleted.
  while (!segments_.empty() && segments_.front().end() <= tail_start_) {
    File& f = segments_.front();
    ::close(f.fd);
    ::unlink(f.path.c_str());
    segments_.erase(segments_.begin());
  }
}

Result<int64_t> TaskLog::Append(LogStream stream, std::string_view data, TimePoint time) {
  std::lock_guard<std::mutex> lock(mu_);
  const int64_t offset = total_;
  if (data.empty()) return offset;
  const int64_t time_ns = ToNanos(time);
  auto fail = [this](const Error& e) { return e.WithContext("appending to log " + path_); };

  // Head: only while nothing has gone to the tail yet.
  while (!data.empty() && total_ == head_.end() && head_.data_bytes < head_cap_) {
    int64_t n = std::min<int64_t>(
        {static_cast<int64_t>(data.size()), head_cap_ - head_.data_bytes, kMaxRecordData});
    if (auto s = WriteRecord(&head_, stream, data.substr(0, n), time_ns); !s.ok()) {
      return fail(s.error());
    }
    total_ += n;
    data.remove_prefix(static_cast<size_t>(n));
  }
  if (data.empty()) return offset;

  // Tail: of this chunk only its last tail_cap bytes can survive; skip the rest outright.
  if (static_cast<int64_t>(data.size()) > tail_cap_) {
    total_ += static_cast<int64_t>(data.size()) - tail_cap_;
    data.remove_prefix(data.size() - static_cast<size_t>(tail_cap_));
  }
  while (!data.empty()) {
    if (segments_.empty() || segments_.back().data_bytes >= seg_size_ ||
        segments_.back().end() != total_) {
      if (auto s = StartSegmentLocked(); !s.ok()) return fail(s.error());
    }
    File& seg = segments_.back();
    int64_t n = std::min<int64_t>(
        {static_cast<int64_t>(data.size()), seg_size_ - seg.data_bytes, kMaxRecordData});
    if (auto s = WriteRecord(&seg, stream, data.substr(0, n), time_ns); !s.ok()) {
      TrimLocked();
      return fail(s.error());
    }
    total_ += n;
    data.remove_prefix(static_cast<size_t>(n));
  }
  TrimLocked();
  return offset;
}

Status TaskLog::ReadRangeLocked(const File& f, int64_t* pos, int64_t end, size_t* budget,
                                std::vector<LogRecord>* out) const {
  // Start at the last checkpoint at or before *pos and walk the record headers from there.
  auto cp = std::upper_bound(f.checkpoints.begin(), f.checkpoints.end(), *pos,
                             [](int64_t p, const Checkpoint& c) { return p < c.offset; });
  if (cp != f.checkpoints.begin()) --cp;
  int64_t fpos = cp->pos;
  int64_t off = cp->offset;
  while (off<end&& * budget> 0 && fpos < f.file_bytes) {
    unsigned char buf[kHeaderSize];
    VPE_RETURN_IF_ERROR(PreadAll(f.fd, reinterpret_cast<char*>(buf), kHeaderSize, fpos, f.path));
    Header h{};
    if (!DecodeHeader(buf, &h)) {
      return Error(ErrorCode::kInternal,
                   "corrupt record header in " + f.path + " at " + std::to_string(fpos));
    }
    int64_t rec_end = off + h.len;
    if (rec_end > *pos) {
      int64_t from = std::max(off, *pos);
      int64_t to = std::min({rec_end, end, from + static_cast<int64_t>(*budget)});
      LogRecord r;
      r.stream = h.stream;
      r.offset = from;
      r.time = FromNanos(h.time_ns);
      r.data.resize(static_cast<size_t>(to - from));
      VPE_RETURN_IF_ERROR(PreadAll(f.fd, r.data.data(), r.data.size(),
                                   fpos + static_cast<int64_t>(kHeaderSize) + (from - off),
                                   f.path));
      *budget -= r.data.size();
      *pos = to;
      out->push_back(std::move(r));
    }
    fpos += static_cast<int64_t>(kHeaderSize) + h.len;
    off = rec_end;
  }
  return OkStatus();
}

Result<std::vector<LogRecord>> TaskLog::ReadFrom(int64_t offset, size_t max_bytes) const {
  if (offset < 0) {
    return Error(ErrorCode::kInvalidArgument,
                 "log offset must not be negative, got " + std::to_string(offset));
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<LogRecord> out;
  int64_t pos = offset;
  size_t budget = max_bytes;
  auto read = [&](const File& f, int64_t begin, int64_t end) -> Status {
    if (budget == 0 || pos >= end || begin >= end) return OkStatus();
    if (pos < begin) {
      LogRecord marker;
      marker.offset = pos;
      marker.dropped = begin - pos;
      out.push_back(std::move(marker));
      pos = begin;
    }
    return ReadRangeLocked(f, &pos, end, &budget, &out);
  };
  auto fail = [this](const Error& e) { return e.WithContext("reading log " + path_); };
  if (auto s = read(head_, 0, head_.end()); !s.ok()) return fail(s.error());
  for (const File& f : segments_) {
    if (auto s = read(f, std::max(f.start, tail_start_), f.end()); !s.ok()) {
      return fail(s.error());
    }
  }
  return out;
}

Status TaskLog::Sync() {
  std::lock_guard<std::mutex> lock(mu_);
  if (::fsync(head_.fd) != 0) return ErrnoError("syncing", head_.path);
  for (const File& f : segments_) {
    if (::fsync(f.fd) != 0) return ErrnoError("syncing", f.path);
  }
  return OkStatus();
}

int64_t TaskLog::total_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

int64_t TaskLog::dropped_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t retained = head_.data_bytes;
  for (const File& f : segments_) retained += f.end() - std::max(f.start, tail_start_);
  return total_ - retained;
}

int64_t TaskLog::disk_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t n = head_.file_bytes;
  for (const File& f : segments_) n += f.file_bytes;
  return n;
}

}  // namespace vpe::orch
