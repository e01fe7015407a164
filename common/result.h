#pragma once
// One error model for every vpe module: an Error with a code and a message that grows context
// at each hop ("building env ingestion: step 3/5: apt-get exited 100"), and Result<T> that holds
// either a value or an Error. Converted to grpc::Status only at the service edge.

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace vpe {

enum class ErrorCode {
  kInvalidArgument,     // bad input from a user: spec file, request field, flag
  kNotFound,            // container, image, task, environment does not exist
  kAlreadyExists,       // conflicting create
  kFailedPrecondition,  // state does not allow the operation
  kResourceExhausted,   // queue full, size cap exceeded
  kUnavailable,         // transport: engine socket gone, connection reset mid-stream
  kDeadlineExceeded,    // a call timed out
  kCancelled,           // the caller cancelled
  kPermissionDenied,    // policy refused the request
  kEngine,              // the Docker engine answered with a non-2xx status
  kInternal,            // a bug or an unexpected outside failure
};

const char* ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  int http_status = 0;  // set for kEngine and for HTTP-derived codes

  Error() = default;
  Error(ErrorCode c, std::string m, int status = 0)
      : code(c), message(std::move(m)), http_status(status) {}

  // Returns a copy whose message is "context: message".
  Error WithContext(const std::string& context) const {
    Error e = *this;
    e.message = context + ": " + message;
    return e;
  }
  // True when the engine or transport is unavailable, as opposed to an answer about the object.
  bool IsTransport() const { return code == ErrorCode::kUnavailable; }
  std::string ToString() const { return std::string(ErrorCodeName(code)) + ": " + message; }
};

inline const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kAlreadyExists:
      return "already exists";
    case ErrorCode::kFailedPrecondition:
      return "failed precondition";
    case ErrorCode::kResourceExhausted:
      return "resource exhausted";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kDeadlineExceeded:
      return "deadline exceeded";
    case ErrorCode::kCancelled:
      return "cancelled";
    case ErrorCode::kPermissionDenied:
      return "permission denied";
    case ErrorCode::kEngine:
      return "engine error";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "unknown";
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : e_(std::move(error)) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return !e_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *e_; }

 private:
  std::optional<Error> e_;
};

using Status = Result<void>;

inline Status OkStatus() { return Status(); }

}  // namespace vpe

// Returns the error of `expr` (a Result) from the enclosing function, with optional context.
#define VPE_RETURN_IF_ERROR(expr)                      \
  do {                                                 \
    auto vpe_status_ = (expr);                         \
    if (!vpe_status_.ok()) return vpe_status_.error(); \
  } while (0)
