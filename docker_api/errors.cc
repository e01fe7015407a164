#include "docker_api/errors.h"

#include <nlohmann/json.hpp>

namespace vpe::docker {
namespace {

constexpr size_t kMaxMessage = 2048;

std::string Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

std::string EngineMessage(int http_status, std::string_view body) {
  auto doc = nlohmann::json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_object() && doc.contains("message") && doc["message"].is_string()) {
    return doc["message"].get<std::string>();
  }
  std::string text = Trim(body);
  if (text.size() > kMaxMessage) text = text.substr(0, kMaxMessage) + "...";
  if (text.empty()) return "HTTP " + std::to_string(http_status);
  return text;
}

Error HttpError(int http_status, std::string_view body, const std::string& what, CallKind kind) {
  ErrorCode code = ErrorCode::kEngine;
  if (http_status == 404) code = ErrorCode::kNotFound;
  if (http_status == 409 && kind == CallKind::kCreate) code = ErrorCode::kAlreadyExists;
  return Error(code,
               what + ": engine answered " + std::to_string(http_status) + ": " +
                   EngineMessage(http_status, body),
               http_status);
}

Error TransportError(const std::string& endpoint, const std::string& what,
                     const std::string& detail) {
  return Error(ErrorCode::kUnavailable,
               what + ": docker engine at " + endpoint + " unavailable: " + detail);
}

bool IsRemovalInProgress(int http_status, std::string_view body) {
  if (http_status != 409) return false;
  std::string msg = EngineMessage(http_status, body);
  return msg.find("removal of container") != std::string::npos &&
         msg.find("already in progress") != std::string::npos;
}

}  // namespace vpe::docker
