#include "orchestrator/log_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/orchestrator/temp_dir.h"

namespace vpe::orch {
namespace {

using testing::TempDir;

// The byte at logical offset `o` of every log written by these tests: a hash, so a record read
// from the wrong offset cannot match by accident.
char ByteAt(int64_t o) {
  return static_cast<char>((static_cast<uint64_t>(o) * 2654435761u >> 13) & 0xff);
}

std::string Bytes(int64_t from, int64_t n) {
  std::string s(static_cast<size_t>(n), '\0');
  for (int64_t i = 0; i < n; ++i) s[static_cast<size_t>(i)] = ByteAt(from + i);
  return s;
}

LogStream StreamOfChunk(int i) { return i % 3 == 0 ? LogStream::kStderr : LogStream::kStdout; }

// Appends `total` bytes in chunks of `chunk` bytes; returns the stream of every byte.
std::vector<LogStream> Fill(TaskLog* log, int64_t total, int64_t chunk) {
  std::vector<LogStream> streams;
  int i = 0;
  for (int64_t off = 0; off < total; off += chunk, ++i) {
    int64_t n = std::min(chunk, total - off);
    auto r = log->Append(StreamOfChunk(i), Bytes(off, n));
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(*r, off);
    streams.insert(streams.end(), static_cast<size_t>(n), StreamOfChunk(i));
  }
  return streams;
}

std::unique_ptr<TaskLog> MustCreate(const TempDir& dir, int64_t cap,
                                    const std::string& id = "t-1") {
  auto log = TaskLog::Create(dir.path(), id, cap);
  EXPECT_TRUE(log.ok()) << log.error().ToString();
  return std::move(*log);
}

int64_t FilesOnDisk(const std::string& path) {
  int64_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(path)) n += e.file_size();
  return n;
}

// Reads from `offset` to the end in pieces of `step` bytes and checks that the records tile
// [offset, total) exactly: no gap, no repeat, right bytes and streams, markers only over the
// dropped range [head_end, tail_start).
void CheckResume(const TaskLog& log, int64_t offset, size_t step, int64_t head_end,
                 int64_t tail_start, const std::vector<LogStream>& streams) {
  int64_t pos = offset;
  int guard = 0;
  while (pos < log.total_bytes()) {
    ASSERT_LT(++guard, 1000000);
    auto recs = log.ReadFrom(pos, step);
    ASSERT_TRUE(recs.ok()) << recs.error().ToString();
    ASSERT_FALSE(recs->empty()) << "no progress at " << pos;
    size_t data = 0;
    for (const LogRecord& r : *recs) {
      ASSERT_EQ(r.offset, pos) << "gap or repeat";
      if (r.dropped > 0) {
        ASSERT_TRUE(r.data.empty());
        ASSERT_GE(r.offset, head_end);
        ASSERT_EQ(r.end(), tail_start);
      } else {
        ASSERT_FALSE(r.data.empty());
        ASSERT_TRUE(r.offset < head_end || r.offset >= tail_start) << r.offset;
        ASSERT_EQ(r.data, Bytes(r.offset, static_cast<int64_t>(r.data.size())))
            << "at " << r.offset;
        for (int64_t o = r.offset; o < r.end(); ++o) {
          ASSERT_EQ(streams[static_cast<size_t>(o)], r.stream) << "stream at " << o;
        }
      }
      data += r.data.size();
      pos = r.end();
    }
    ASSERT_LE(data, step);
  }
  ASSERT_EQ(pos, log.total_bytes());
  auto past = log.ReadFrom(pos, step);
  ASSERT_TRUE(past.ok());
  EXPECT_TRUE(past->empty());
}

TEST(TaskLogTest, KeepsEverythingUnderTheCap) {
  TempDir dir;
  auto log = MustCreate(dir, 1000);
  ASSERT_EQ(*log->Append(LogStream::kStdout, "hello "), 0);
  ASSERT_EQ(*log->Append(LogStream::kStderr, "oops\n"), 6);
  ASSERT_EQ(*log->Append(LogStream::kStdout, "world\n"), 11);
  EXPECT_EQ(log->total_bytes(), 17);
  EXPECT_EQ(log->dropped_bytes(), 0);
  auto recs = log->ReadFrom(0, 1 << 20);
  ASSERT_TRUE(recs.ok());
  ASSERT_EQ(recs->size(), 3u);
  EXPECT_EQ((*recs)[0].data, "hello ");
  EXPECT_EQ((*recs)[0].stream, LogStream::kStdout);
  EXPECT_EQ((*recs)[1].data, "oops\n");
  EXPECT_EQ((*recs)[1].stream, LogStream::kStderr);
  EXPECT_EQ((*recs)[1].offset, 6);
  EXPECT_EQ((*recs)[2].offset, 11);
  EXPECT_NE((*recs)[0].time, TimePoint{});
}

TEST(TaskLogTest, SplitsARecordAtTheOffsetAndAtTheBudget) {
  TempDir dir;
  auto log = MustCreate(dir, 1000);
  ASSERT_TRUE(log->Append(LogStream::kStdout, "0123456789").ok());
  ASSERT_TRUE(log->Append(LogStream::kStderr, "abcdef").ok());
  auto recs = log->ReadFrom(4, 8);
  ASSERT_TRUE(recs.ok());
  ASSERT_EQ(recs->size(), 2u);
  EXPECT_EQ((*recs)[0].offset, 4);
  EXPECT_EQ((*recs)[0].data, "456789");
  EXPECT_EQ((*recs)[1].offset, 10);
  EXPECT_EQ((*recs)[1].data, "ab");
  EXPECT_EQ((*recs)[1].stream, LogStream::kStderr);
  EXPECT_TRUE(log->ReadFrom(16, 8)->empty());
  EXPECT_TRUE(log->ReadFrom(3, 0)->empty());
  EXPECT_EQ(log->ReadFrom(-1, 8).error().code, ErrorCode::kInvalidArgument);
}

TEST(TaskLogTest, EmptyAppendWritesNothing) {
  TempDir dir;
  auto log = MustCreate(dir, 100);
  ASSERT_TRUE(log->Append(LogStream::kStdout, "abc").ok());
  EXPECT_EQ(*log->Append(LogStream::kStdout, ""), 3);
  EXPECT_EQ(log->ReadFrom(0, 100)->size(), 1u);
}

TEST(TaskLogTest, KeepsHeadAndTailAndCountsDroppedBytes) {
  TempDir dir;
  auto log = MustCreate(dir, 100);
  auto streams = Fill(log.get(), 1000, 7);
  EXPECT_EQ(log->total_bytes(), 1000);
  EXPECT_EQ(log->dropped_bytes(), 900);
  auto recs = log->ReadFrom(0, 1 << 20);
  ASSERT_TRUE(recs.ok());
  std::string head;
  std::string tail;
  int markers = 0;
  for (const auto& r : *recs) {
    if (r.dropped > 0) {
      ++markers;
      EXPECT_EQ(r.offset, 50);
      EXPECT_EQ(r.dropped, 900);
    } else if (r.offset < 50) {
      head += r.data;
    } else {
      tail += r.data;
    }
  }
  EXPECT_EQ(markers, 1);
  EXPECT_EQ(head, Bytes(0, 50));
  EXPECT_EQ(tail, Bytes(950, 50));
  CheckResume(*log, 0, 1 << 20, 50, 950, streams);
}

TEST(TaskLogTest, ResumesFromEveryOffsetWithoutGapsOrRepeats) {
  TempDir dir;
  auto log = MustCreate(dir, 64);
  auto streams = Fill(log.get(), 300, 5);
  ASSERT_EQ(log->dropped_bytes(), 300 - 64);
  for (int64_t off = 0; off <= 300; ++off) {
    for (size_t step : {size_t{1}, size_t{3}, size_t{1000}}) {
      SCOPED_TRACE("offset " + std::to_string(off) + " step " + std::to_string(step));
      CheckResume(*log, off, step, 32, 268, streams);
    }
  }
}

TEST(TaskLogTest, ChunkLargerThanTheCapKeepsItsHeadAndTail) {
  TempDir dir;
  auto log = MustCreate(dir, 1000);
  ASSERT_EQ(*log->Append(LogStream::kStdout, Bytes(0, 10)), 0);
  ASSERT_EQ(*log->Append(LogStream::kStderr, Bytes(10, 100000)), 10);
  EXPECT_EQ(log->total_bytes(), 100010);
  EXPECT_EQ(log->dropped_bytes(), 100010 - 1000);
  std::vector<LogStream> streams(10, LogStream::kStdout);
  streams.resize(100010, LogStream::kStderr);
  CheckResume(*log, 0, 333, 500, 100010 - 500, streams);
  EXPECT_LE(FilesOnDisk(log->path()), 1000 + 500 + 64 * 16);
}

TEST(TaskLogTest, DiskAndMemoryStayBoundedFor100MegabytesAppended) {
  TempDir dir;
  constexpr int64_t kCap = 1 << 20;
  auto log = MustCreate(dir, kCap);
  constexpr int64_t kChunk = 64 * 1024 - 13;  // not aligned with segments or the head
  constexpr int64_t kTotal = 100LL << 20;
  // Headers: one per chunk piece; retained data lies in few enough pieces that 64 headers is
  // ample. One extra segment is tail_cap / 8.
  const int64_t bound = kCap + (kCap / 2) / 8 + 64 * 16;
  std::string chunk;
  int64_t max_disk = 0;
  for (int64_t off = 0, i = 0; off < kTotal; off += kChunk, ++i) {
    int64_t n = std::min(kChunk, kTotal - off);
    chunk = Bytes(off, n);
    auto r = log->Append(i % 2 ? LogStream::kStderr : LogStream::kStdout, chunk);
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    if (i % 50 == 0) max_disk = std::max(max_disk, FilesOnDisk(log->path()));
  }
  max_disk = std::max(max_disk, FilesOnDisk(log->path()));
  EXPECT_LE(max_disk, bound);
  EXPECT_EQ(log->disk_bytes(), FilesOnDisk(log->path()));
  EXPECT_EQ(log->total_bytes(), kTotal);
  EXPECT_EQ(log->dropped_bytes(), kTotal - kCap);

  auto head = log->ReadFrom(0, kCap / 2);
  ASSERT_TRUE(head.ok());
  std::string h;
  for (const auto& r : *head) h += r.data;
  EXPECT_EQ(h, Bytes(0, kCap / 2));
  auto tail = log->ReadFrom(kTotal - kCap / 2, kCap);
  ASSERT_TRUE(tail.ok());
  std::string t;
  for (const auto& r : *tail) t += r.data;
  EXPECT_EQ(t, Bytes(kTotal - kCap / 2, kCap / 2));
  auto middle = log->ReadFrom(kTotal / 2, 10);
  ASSERT_TRUE(middle.ok());
  ASSERT_FALSE(middle->empty());
  EXPECT_EQ((*middle)[0].offset, kTotal / 2);
  EXPECT_EQ((*middle)[0].end(), kTotal - kCap / 2);
}

TEST(TaskLogTest, ReopenKeepsContentAndContinuesOffsets) {
  TempDir dir;
  std::vector<LogStream> streams;
  {
    auto log = MustCreate(dir, 200);
    streams = Fill(log.get(), 700, 9);
  }
  auto reopened = TaskLog::Open(dir.path(), "t-1", 200);
  ASSERT_TRUE(reopened.ok()) << reopened.error().ToString();
  TaskLog& log = **reopened;
  EXPECT_EQ(log.total_bytes(), 700);
  EXPECT_EQ(log.dropped_bytes(), 500);
  CheckResume(log, 0, 50, 100, 600, streams);

  auto off = log.Append(LogStream::kStderr, Bytes(700, 40));
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(*off, 700);
  streams.resize(740, LogStream::kStderr);
  EXPECT_EQ(log.dropped_bytes(), 540);
  CheckResume(log, 0, 50, 100, 640, streams);
}

TEST(TaskLogTest, ReopenOfAShortLogContinuesTheHead) {
  TempDir dir;
  {
    auto log = MustCreate(dir, 100);
    ASSERT_TRUE(log->Append(LogStream::kStdout, Bytes(0, 20)).ok());
  }
  auto log = TaskLog::Open(dir.path(), "t-1", 100);
  ASSERT_TRUE(log.ok());
  ASSERT_EQ(*(*log)->Append(LogStream::kStdout, Bytes(20, 200)), 20);
  EXPECT_EQ((*log)->dropped_bytes(), 120);
  std::vector<LogStream> streams(220, LogStream::kStdout);
  CheckResume(**log, 0, 7, 50, 170, streams);
}

TEST(TaskLogTest, ReopenCutsATornLastRecord) {
  TempDir dir;
  std::string last_file;
  {
    auto log = MustCreate(dir, 100);
    Fill(log.get(), 300, 10);
    ASSERT_TRUE(log->Sync().ok());
    for (const auto& e : std::filesystem::directory_iterator(log->path())) {
      if (last_file.empty() || e.path().string() > last_file) last_file = e.path().string();
    }
  }
  {
    // A crash after writing half a header and a header without its data.
    std::ofstream f(last_file, std::ios::app | std::ios::binary);
    f << std::string("\xA5\x01\x00\x00\x50\x00\x00\x00", 8) << "partial";
  }
  auto log = TaskLog::Open(dir.path(), "t-1", 100);
  ASSERT_TRUE(log.ok()) << log.error().ToString();
  EXPECT_EQ((*log)->total_bytes(), 300);
  EXPECT_EQ(*(*log)->Append(LogStream::kStdout, "x"), 300);
  auto recs = (*log)->ReadFrom(299, 10);
  ASSERT_TRUE(recs.ok());
  ASSERT_EQ(recs->size(), 2u);
  EXPECT_EQ((*recs)[1].data, "x");
}

TEST(TaskLogTest, CreateOpenAndRemoveErrors) {
  TempDir dir;
  auto log = MustCreate(dir, 100);
  EXPECT_EQ(TaskLog::Create(dir.path(), "t-1", 100).error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(TaskLog::Open(dir.path(), "t-2", 100).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(TaskLog::Create(dir.path(), "../x", 100).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(TaskLog::Create(dir.path(), "t-3", 1).error().code, ErrorCode::kInvalidArgument);
  log.reset();
  EXPECT_TRUE(TaskLog::Remove(dir.path(), "t-1").ok());
  EXPECT_FALSE(std::filesystem::exists(dir.Join("t-1")));
  EXPECT_TRUE(TaskLog::Remove(dir.path(), "t-1").ok());
  EXPECT_TRUE(TaskLog::Create(dir.path(), "t-1", 100).ok());
}

TEST(TaskLogTest, CreatesTheLogDirectory) {
  TempDir dir;
  auto log = TaskLog::Create(dir.Join("logs/nested"), "t-1", 100);
  ASSERT_TRUE(log.ok()) << log.error().ToString();
  EXPECT_TRUE(std::filesystem::is_directory(dir.Join("logs/nested/t-1")));
}

TEST(TaskLogTest, ReadersSeeConsistentDataWhileTheWriterAppends) {
  TempDir dir;
  auto log = MustCreate(dir, 4096);
  std::atomic<bool> done{false};
  std::atomic<int64_t> checked{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      std::mt19937_64 rng(r);
      while (!done.load()) {
        int64_t total = log->total_bytes();
        if (total == 0) continue;
        int64_t off = static_cast<int64_t>(rng() % static_cast<uint64_t>(total));
        auto recs = log->ReadFrom(off, 512);
        ASSERT_TRUE(recs.ok()) << recs.error().ToString();
        int64_t pos = off;
        for (const auto& rec : *recs) {
          ASSERT_EQ(rec.offset, pos);
          ASSERT_EQ(rec.data, Bytes(rec.offset, static_cast<int64_t>(rec.data.size())));
          pos = rec.end();
        }
        ++checked;
      }
    });
  }
  for (int64_t off = 0; off < 2000000; off += 333) {
    ASSERT_TRUE(log->Append(LogStream::kStdout, Bytes(off, 333)).ok());
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_GT(checked.load(), 0);
}

}  // namespace
}  // namespace vpe::orch
