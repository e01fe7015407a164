#include "common/tar.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>

namespace vpe {
namespace {

struct ArchiveWriteDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct ArchiveReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

la_ssize_t WriteCallback(archive*, void* client, const void* buffer, size_t length) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

}  // namespace

Result<std::string> WriteTar(const std::vector<TarEntry>& entries) {
  std::string out;
  std::unique_ptr<archive, ArchiveWriteDeleter> a(archive_write_new());
  archive_write_set_format_pax_restricted(a.get());
  archive_write_set_bytes_in_last_block(a.get(), 1);
  if (archive_write_open(a.get(), &out, nullptr, WriteCallback, nullptr) != ARCHIVE_OK) {
    return Error(ErrorCode::kInternal,
                 std::string("tar: cannot open writer: ") + archive_error_string(a.get()));
  }
  for (const TarEntry& e : entries) {
    std::unique_ptr<archive_entry, EntryDeleter> entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), e.path.c_str());
    archive_entry_set_filetype(entry.get(), e.is_dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(entry.get(), static_cast<mode_t>(e.mode & 07777));
    archive_entry_set_size(entry.get(), e.is_dir ? 0 : static_cast<la_int64_t>(e.content.size()));
    archive_entry_set_mtime(entry.get(), 0, 0);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK) {
      return Error(ErrorCode::kInternal,
                   "tar: cannot write header for " + e.path + ": " + archive_error_string(a.get()));
    }
    if (!e.is_dir && !e.content.empty()) {
      la_ssize_t n = archive_write_data(a.get(), e.content.data(), e.content.size());
      if (n < 0 || static_cast<size_t>(n) != e.content.size()) {
        return Error(ErrorCode::kInternal,
                     "tar: cannot write data for " + e.path + ": " + archive_error_string(a.get()));
      }
    }
  }
  if (archive_write_close(a.get()) != ARCHIVE_OK) {
    return Error(ErrorCode::kInternal,
                 std::string("tar: cannot close: ") + archive_error_string(a.get()));
  }
  return out;
}

Result<std::vector<TarEntry>> ReadTar(const std::string& tar, int64_t max_bytes) {
  std::unique_ptr<archive, ArchiveReadDeleter> a(archive_read_new());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_memory(a.get(), tar.data(), tar.size()) != ARCHIVE_OK) {
    return Error(ErrorCode::kInvalidArgument,
                 std::string("tar: cannot open: ") + archive_error_string(a.get()));
  }
  std::vector<TarEntry> entries;
  int64_t total = 0;
  archive_entry* entry = nullptr;
  while (true) {
    int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      return Error(ErrorCode::kInvalidArgument,
                   std::string("tar: malformed archive: ") + archive_error_string(a.get()));
    }
    TarEntry e;
    e.path = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
    e.mode = static_cast<int>(archive_entry_perm(entry));
    e.is_dir = archive_entry_filetype(entry) == AE_IFDIR;
    int64_t size = archive_entry_size(entry);
    if (total + size > max_bytes) {
      return Error(ErrorCode::kResourceExhausted, "tar: " + e.path + " is " + std::to_string(size) +
                                                      " bytes, over the limit of " +
                                                      std::to_string(max_bytes) + " bytes");
    }
    if (!e.is_dir && size > 0) {
      e.content.resize(static_cast<size_t>(size));
      la_ssize_t n = archive_read_data(a.get(), e.content.data(), e.content.size());
      if (n < 0) {
        return Error(ErrorCode::kInvalidArgument,
                     "tar: cannot read " + e.path + ": " + archive_error_string(a.get()));
      }
      e.content.resize(static_cast<size_t>(n));
    }
    total += static_cast<int64_t>(e.content.size());
    entries.push_back(std::move(e));
  }
  return entries;
}

}  // namespace vpe
