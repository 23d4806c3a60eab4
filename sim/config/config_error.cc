#include "sim/config/config_error.h"

namespace fleetsim {

std::string InputError::Format() const {
  std::string s = "error: ";
  s += what();
  if (!suggestion_.empty()) s += "\ndid you mean '" + suggestion_ + "'?";
  return s;
}

namespace {
std::string Compose(const std::string& file, int line, int column, const std::string& key_path,
                    const std::string& message) {
  std::string s = file;
  if (line > 0) s += ":" + std::to_string(line) + ":" + std::to_string(column);
  s += ": ";
  if (!key_path.empty()) s += key_path + ": ";
  return s + message;
}
}  // namespace

ConfigError::ConfigError(std::string file, int line, int column, std::string key_path,
                         std::string message, std::string source_line, std::string suggestion)
    : InputError(Compose(file, line, column, key_path, message), std::move(suggestion)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      key_path_(std::move(key_path)),
      detail_(std::move(message)),
      source_line_(std::move(source_line)) {}

std::string ConfigError::Format() const {
  std::string s = file_;
  if (line_ > 0) s += ":" + std::to_string(line_) + ":" + std::to_string(column_);
  s += ": error: ";
  if (!key_path_.empty()) s += key_path_ + ": ";
  s += detail_;
  if (line_ > 0 && !source_line_.empty()) {
    const std::string number = std::to_string(line_);
    s += "\n " + number + " | " + source_line_ + "\n " + std::string(number.size(), ' ') + " | ";
    // Keep tabs so the caret lines up under the offending column.
    for (int i = 0; i + 1 < column_ && i < static_cast<int>(source_line_.size()); ++i) {
      s += source_line_[i] == '\t' ? '\t' : ' ';
    }
    s += '^';
  }
  if (!suggestion().empty()) s += "\ndid you mean '" + suggestion() + "'?";
  return s;
}

}  // namespace fleetsim
