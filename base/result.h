#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace ecsync::base {

// What went wrong, as far as the caller's next step is concerned. The kind, not the
// message, decides retries: kInvalid waits for new input, kThrottled/kTransient back off
// and retry, the rest are reported.
enum class ErrorKind {
  kInvalid,    // bad input or configuration; retrying the same input cannot help
  kNotFound,   // the thing asked for does not exist
  kConflict,   // the target is busy or in a state that forbids the operation
  kThrottled,  // the remote side asked us to slow down
  kTransient,  // network trouble, 5xx, timeouts: worth retrying later
  kInternal,   // a bug or an unexpected state
};

const char* ErrorKindName(ErrorKind kind);

// Success, or an error kind with a human-readable message. Cheap to copy when ok.
class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(ErrorKind kind, std::string message)
      : ok_(false), kind_(kind), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return ok_; }
  // REQUIRES: !ok()
  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }
  // "invalid: <message>", or "ok".
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>"; ok statuses stay ok.
  Status WithContext(const std::string& context) const;

 private:
  bool ok_ = true;
  ErrorKind kind_ = ErrorKind::kInternal;
  std::string message_;
};

inline Status InvalidError(std::string m) { return {ErrorKind::kInvalid, std::move(m)}; }
inline Status NotFoundError(std::string m) { return {ErrorKind::kNotFound, std::move(m)}; }
inline Status ConflictError(std::string m) { return {ErrorKind::kConflict, std::move(m)}; }
inline Status ThrottledError(std::string m) { return {ErrorKind::kThrottled, std::move(m)}; }
inline Status TransientError(std::string m) { return {ErrorKind::kTransient, std::move(m)}; }
inline Status InternalError(std::string m) { return {ErrorKind::kInternal, std::move(m)}; }

// A value or an error Status. Construct from either; an ok Status is a bug.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT: implicit by design
  Result(Status status) : data_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<Status>(data_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  // The error, or an ok Status when this holds a value.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(data_); }

  // REQUIRES: ok()
  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace ecsync::base

// Returns early from the enclosing function when `expr` (a Status) is an error.
#define ECSYNC_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::ecsync::base::Status ecsync_status_ = (expr);  \
    if (!ecsync_status_.ok()) return ecsync_status_; \
  } while (0)

#define ECSYNC_CONCAT_INNER_(a, b) a##b
#define ECSYNC_CONCAT_(a, b) ECSYNC_CONCAT_INNER_(a, b)

// `ECSYNC_ASSIGN_OR_RETURN(auto x, F());` declares x from F()'s value or returns its error.
#define ECSYNC_ASSIGN_OR_RETURN(lhs, expr) \
  ECSYNC_ASSIGN_OR_RETURN_IMPL_(ECSYNC_CONCAT_(ecsync_result_, __LINE__), lhs, expr)
// `tmp` is a name and `lhs` a declaration: neither can be parenthesized.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define ECSYNC_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
