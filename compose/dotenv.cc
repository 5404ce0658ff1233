#include "compose/dotenv.h"

#include <optional>

#include "compose/interpolate.h"

namespace ecsync::compose {

namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

class DotEnvParser {
 public:
  DotEnvParser(const std::string& content, const std::map<std::string, std::string>& environment)
      : text_(content), environment_(environment) {
    if (text_.rfind("\xEF\xBB\xBF", 0) == 0) pos_ = 3;
  }

  base::Result<DotEnv> Run() {
    while (pos_ < text_.size()) {
      SkipBlanks();
      const size_t line_end = LineEnd();
      if (pos_ >= text_.size()) break;
      if (pos_ == line_end || text_[pos_] == '#') {
        NextLine(line_end);
        continue;
      }
      ECSYNC_RETURN_IF_ERROR(Entry(line_end));
    }
    return std::move(entries_);
  }

 private:
  size_t LineEnd() const {
    const size_t end = text_.find('\n', pos_);
    return end == std::string::npos ? text_.size() : end;
  }
  void SkipBlanks() {
    while (pos_ < text_.size() && IsBlank(text_[pos_])) ++pos_;
  }
  void NextLine(size_t line_end) {
    pos_ = line_end < text_.size() ? line_end + 1 : text_.size();
    ++line_;
  }
  base::Status Error(int line, const std::string& what) const {
    return base::InvalidError("line " + std::to_string(line) + ": " + what);
  }

  base::Status Entry(size_t line_end) {
    const int line = line_;
    if (text_.compare(pos_, 7, "export ") == 0 || text_.compare(pos_, 7, "export\t") == 0) {
      pos_ += 7;
      SkipBlanks();
    }
    const size_t equals = text_.find('=', pos_);
    if (equals == std::string::npos || equals > line_end) {
      // KEY alone: inherit from the environment.
      std::string key = Trim(text_.substr(pos_, line_end - pos_));
      const size_t comment = key.find(" #");
      if (comment != std::string::npos) key = Trim(key.substr(0, comment));
      ECSYNC_RETURN_IF_ERROR(CheckKey(key, line));
      if (auto it = environment_.find(key); it != environment_.end()) Set(key, it->second);
      NextLine(line_end);
      return base::Status::Ok();
    }
    const std::string key = Trim(text_.substr(pos_, equals - pos_));
    ECSYNC_RETURN_IF_ERROR(CheckKey(key, line));
    pos_ = equals + 1;
    SkipBlanks();
    if (pos_ < text_.size() && (text_[pos_] == '\'' || text_[pos_] == '"')) {
      return Quoted(key, line);
    }
    std::string value = text_.substr(pos_, line_end - pos_);
    for (size_t i = 0; i < value.size(); ++i) {
      if (value[i] == '#' && (i == 0 || IsBlank(value[i - 1]))) {
        value.resize(i);
        break;
      }
    }
    value = Trim(value);
    NextLine(line_end);
    ECSYNC_ASSIGN_OR_RETURN(value, Expand(value, line));
    Set(key, std::move(value));
    return base::Status::Ok();
  }

  base::Status Quoted(const std::string& key, int line) {
    const char quote = text_[pos_++];
    std::string raw;
    bool closed = false;
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\\' && pos_ + 1 < text_.size() && (text_[pos_ + 1] == quote || (quote == '"'))) {
        raw += c;
        raw += text_[pos_ + 1];
        pos_ += 2;
        continue;
      }
      if (c == quote) {
        ++pos_;
        closed = true;
        break;
      }
      if (c == '\n') ++line_;
      raw += c;
      ++pos_;
    }
    if (!closed) {
      return Error(line, "value of " + key + " has no closing " + std::string(1, quote));
    }
    // Only blanks or a comment may follow the closing quote.
    const size_t line_end = LineEnd();
    const std::string rest = Trim(text_.substr(pos_, line_end - pos_));
    if (!rest.empty() && rest[0] != '#') {
      return Error(line_, "unexpected \"" + rest + "\" after the quoted value of " + key);
    }
    NextLine(line_end);
    if (quote == '\'') {
      std::string value;
      for (size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '\\' && i + 1 < raw.size() && raw[i + 1] == '\'') ++i;
        value += raw[i];
      }
      Set(key, std::move(value));
      return base::Status::Ok();
    }
    std::string value;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '\\' || i + 1 == raw.size()) {
        value += raw[i];
        continue;
      }
      const char next = raw[++i];
      switch (next) {
        case 'n':
          value += '\n';
          break;
        case 't':
          value += '\t';
          break;
        case 'r':
          value += '\r';
          break;
        case '"':
          value += '"';
          break;
        case '\\':
          value += '\\';
          break;
        case '$':
          value += "$$";
          break;  // stays a literal $ through the expansion below
        default:
          value += '\\';
          value += next;
      }
    }
    ECSYNC_ASSIGN_OR_RETURN(value, Expand(value, line));
    Set(key, std::move(value));
    return base::Status::Ok();
  }

  base::Status CheckKey(const std::string& key, int line) const {
    if (key.empty()) return Error(line, "no variable name before \"=\"");
    for (char c : key) {
      if (IsBlank(c)) return Error(line, "key cannot contain a space");
    }
    return base::Status::Ok();
  }

  base::Result<std::string> Expand(const std::string& value, int line) {
    if (value.find('$') == std::string::npos) return value;
    std::map<std::string, std::string> scope = environment_;
    for (const auto& [key, v] : entries_) scope[key] = v;
    base::Result<std::string> out = Interpolate(value, scope);
    if (!out.ok()) return Error(line, out.status().message());
    return out;
  }

  void Set(const std::string& key, std::string value) {
    for (auto& entry : entries_) {
      if (entry.first == key) {
        entry.second = std::move(value);
        return;
      }
    }
    entries_.emplace_back(key, std::move(value));
  }

  static std::string Trim(const std::string& s) {
    size_t begin = 0;
    size_t end = s.size();
    while (begin < end && IsBlank(s[begin])) ++begin;
    while (end > begin && IsBlank(s[end - 1])) --end;
    return s.substr(begin, end - begin);
  }

  const std::string& text_;
  const std::map<std::string, std::string>& environment_;
  size_t pos_ = 0;
  int line_ = 1;
  DotEnv entries_;
};

}  // namespace

base::Result<DotEnv> ParseDotEnv(const std::string& content,
                                 const std::map<std::string, std::string>& environment) {
  return DotEnvParser(content, environment).Run();
}

base::Result<DotEnv> ParseRawEnv(const std::string& content,
                                 const std::map<std::string, std::string>& environment) {
  DotEnv out;
  size_t pos = content.rfind("\xEF\xBB\xBF", 0) == 0 ? 3 : 0;
  for (int line = 1; pos <= content.size(); ++line) {
    size_t end = content.find('\n', pos);
    if (end == std::string::npos) end = content.size();
    std::string text = content.substr(pos, end - pos);
    pos = end + 1;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    size_t start = 0;
    while (start < text.size() && IsBlank(text[start])) ++start;
    if (start == text.size() || text[start] == '#') continue;
    const size_t equals = text.find('=', start);
    const std::string key =
        text.substr(start, equals == std::string::npos ? std::string::npos : equals - start);
    if (key.empty()) {
      return base::InvalidError("line " + std::to_string(line) + ": no variable name before =");
    }
    if (key.find_first_of(" \t") != std::string::npos) {
      return base::InvalidError("line " + std::to_string(line) + ": key \"" + key +
                                "\" cannot contain a space");
    }
    if (equals != std::string::npos) {
      out.emplace_back(key, text.substr(equals + 1));
    } else if (auto it = environment.find(key); it != environment.end()) {
      out.emplace_back(key, it->second);
    }
  }
  return out;
}

}  // namespace ecsync::compose
