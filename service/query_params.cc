#include "service/query_params.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "ledger/base/error.h"

namespace ledger::service {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

absl::Status Invalid(absl::string_view param, absl::string_view message) {
  return MakeError(absl::StatusCode::kInvalidArgument, reason::kInvalidRequest, param, message);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Strict UTF-8 (no overlongs, surrogates or code points above U+10FFFF).
bool IsUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = s[i];
    int n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (int k = 1; k <= n; ++k) {
      const unsigned char d = s[i + k];
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

absl::StatusOr<std::string> PercentDecode(absl::string_view in, absl::string_view what) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%') {
      const int hi = i + 1 < in.size() ? HexValue(in[i + 1]) : -1;
      const int lo = i + 2 < in.size() ? HexValue(in[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Invalid("", absl::StrCat("query: '%' at byte ", i, " of ", what,
                                        " is not followed by two hex digits"));
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  if (!IsUtf8(out)) {
    return Invalid("", absl::StrCat("query: ", what, " is not UTF-8 once percent-decoded"));
  }
  return out;
}

const FieldDescriptor* FindField(const Descriptor* d, absl::string_view name) {
  const std::string n(name);
  if (const FieldDescriptor* f = d->FindFieldByName(n)) return f;
  for (int i = 0; i < d->field_count(); ++i) {
    if (d->field(i)->json_name() == n) return d->field(i);
  }
  return nullptr;
}

absl::Status SetSaidDate(const std::string& param, absl::string_view value, Message* date) {
  const std::vector<absl::string_view> parts = absl::StrSplit(value, '-');
  const char* const names[] = {"year", "month", "day"};
  if (parts.size() > 3) {
    return Invalid(param, absl::StrCat("got \"", value, "\", want YYYY, YYYY-MM or YYYY-MM-DD"));
  }
  const Reflection* r = date->GetReflection();
  for (size_t i = 0; i < parts.size(); ++i) {
    int32_t v;
    if (parts[i].empty() || !absl::SimpleAtoi(parts[i], &v) || v <= 0 ||
        parts[i].size() > 4) {
      return Invalid(param, absl::StrCat("got \"", value, "\", want YYYY, YYYY-MM or YYYY-MM-DD"));
    }
    const FieldDescriptor* f = date->GetDescriptor()->FindFieldByName(names[i]);
    if (f == nullptr || f->cpp_type() != FieldDescriptor::CPPTYPE_INT32) {
      return absl::InternalError("SaidDate has no int32 field " + std::string(names[i]));
    }
    r->SetInt32(date, f, v);
  }
  return absl::OkStatus();
}

absl::Status SetScalar(const std::string& param, absl::string_view value, Message* m,
                       const FieldDescriptor* f) {
  const Reflection* r = m->GetReflection();
  const bool rep = f->is_repeated();
  const auto want = [&](absl::string_view what) {
    return Invalid(param, absl::StrCat("got \"", absl::CHexEscape(value.substr(0, 64)),
                                       value.size() > 64 ? "...\"" : "\"", ", want ", what));
  };
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string v(value);
      if (f->type() == FieldDescriptor::TYPE_BYTES) {
        std::string decoded;
        if (!absl::Base64Unescape(value, &decoded) && !absl::WebSafeBase64Unescape(value, &decoded)) {
          return want("base64 (standard or URL-safe)");
        }
        v = std::move(decoded);
      }
      rep ? r->AddString(m, f, std::move(v)) : r->SetString(m, f, std::move(v));
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!absl::SimpleAtoi(value, &v)) return want("a 32-bit signed integer");
      rep ? r->AddInt32(m, f, v) : r->SetInt32(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (!absl::SimpleAtoi(value, &v)) return want("a 64-bit signed integer");
      rep ? r->AddInt64(m, f, v) : r->SetInt64(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v;
      if (value.empty() || value[0] == '-' || !absl::SimpleAtoi(value, &v)) {
        return want("a 32-bit unsigned integer");
      }
      rep ? r->AddUInt32(m, f, v) : r->SetUInt32(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v;
      if (value.empty() || value[0] == '-' || !absl::SimpleAtoi(value, &v)) {
        return want("a 64-bit unsigned integer");
      }
      rep ? r->AddUInt64(m, f, v) : r->SetUInt64(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double v;
      if (!absl::SimpleAtod(value, &v) || !std::isfinite(v)) return want("a finite number");
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
        rep ? r->AddDouble(m, f, v) : r->SetDouble(m, f, v);
      } else {
        if (std::fabs(v) > std::numeric_limits<float>::max()) return want("a finite float");
        rep ? r->AddFloat(m, f, static_cast<float>(v)) : r->SetFloat(m, f, static_cast<float>(v));
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool v;
      if (value == "true") {
        v = true;
      } else if (value == "false") {
        v = false;
      } else {
        return want("true or false");
      }
      rep ? r->AddBool(m, f, v) : r->SetBool(m, f, v);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const EnumValueDescriptor* e = f->enum_type()->FindValueByName(std::string(value));
      int32_t number;
      if (e == nullptr && absl::SimpleAtoi(value, &number)) {
        e = f->enum_type()->FindValueByNumber(number);
      }
      if (e == nullptr) {
        std::string names;
        for (int i = 0; i < f->enum_type()->value_count(); ++i) {
          absl::StrAppend(&names, i == 0 ? "" : ", ", f->enum_type()->value(i)->name());
        }
        return want(absl::StrCat("one of ", names));
      }
      rep ? r->AddEnum(m, f, e) : r->SetEnum(m, f, e);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return Invalid(param, "names a message; give one of its fields (\"" + param + ".<field>\")");
}

}  // namespace

absl::StatusOr<QueryParams> ParseQuery(absl::string_view raw) {
  if (raw.size() > kMaxQueryBytes) {
    return MakeError(absl::StatusCode::kInvalidArgument, reason::kLimitExceeded, "",
                     absl::StrCat("query: ", raw.size(), " bytes, the limit is ", kMaxQueryBytes));
  }
  QueryParams params;
  for (absl::string_view piece : absl::StrSplit(raw, '&')) {
    if (piece.empty()) continue;
    if (params.size() == kMaxQueryParams) {
      return MakeError(absl::StatusCode::kInvalidArgument, reason::kLimitExceeded, "",
                       absl::StrCat("query: more than ", kMaxQueryParams, " parameters"));
    }
    const size_t eq = piece.find('=');
    absl::string_view name = piece.substr(0, eq);
    absl::string_view value = eq == absl::string_view::npos ? "" : piece.substr(eq + 1);
    absl::StatusOr<std::string> n = PercentDecode(name, "a parameter name");
    if (!n.ok()) return n.status();
    if (n->empty()) {
      return Invalid("", absl::StrCat("query: parameter ", params.size() + 1, " has no name"));
    }
    absl::StatusOr<std::string> v = PercentDecode(value, absl::StrCat("the value of ", *n));
    if (!v.ok()) return v.status();
    params.emplace_back(std::move(*n), std::move(*v));
  }
  return params;
}

absl::Status FillRequest(const QueryParams& params, Message* message) {
  // Singular fields set by this call: (message, field).
  std::set<std::pair<const Message*, const FieldDescriptor*>> seen;
  for (const auto& [name, value] : params) {
    Message* m = message;
    const std::vector<absl::string_view> path = absl::StrSplit(name, '.');
    for (size_t i = 0; i < path.size(); ++i) {
      const FieldDescriptor* f = FindField(m->GetDescriptor(), path[i]);
      if (f == nullptr) {
        return Invalid(name, absl::StrCat("unknown parameter: ", m->GetDescriptor()->name(),
                                          " has no field \"", path[i], "\""));
      }
      const Reflection* r = m->GetReflection();
      const bool last = i + 1 == path.size();
      if (const auto* oneof = f->containing_oneof()) {
        const FieldDescriptor* set = r->GetOneofFieldDescriptor(*m, oneof);
        if (set != nullptr && set != f) {
          return Invalid(name, absl::StrCat("only one of ", oneof->name(), "'s fields may be given; ",
                                            set->name(), " is already set"));
        }
      }
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
        if (f->is_repeated()) {
          return Invalid(name, "a repeated message field cannot be given as a query parameter");
        }
        Message* sub = r->MutableMessage(m, f);
        if (last) {
          if (f->message_type()->full_name() != "ledger.v1.SaidDate") {
            return Invalid(name, absl::StrCat("names a message; give one of its fields (\"",
                                              name, ".<field>\")"));
          }
          if (!seen.insert({m, f}).second || sub->ByteSizeLong() != 0) {
            return Invalid(name, "given more than once");
          }
          if (absl::Status s = SetSaidDate(name, value, sub); !s.ok()) return s;
        }
        m = sub;
        continue;
      }
      if (!last) {
        return Invalid(name, absl::StrCat("\"", path[i], "\" is not a message field"));
      }
      if (!f->is_repeated()) {
        const bool already = r->HasField(*m, f);  // e.g. set from the path
        if (!seen.insert({m, f}).second || already) {
          return Invalid(name, "given more than once");
        }
      }
      if (absl::Status s = SetScalar(name, value, m, f); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace ledger::service
