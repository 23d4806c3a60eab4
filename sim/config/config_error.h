// Errors in user input (YAML files, command lines, trace files), reported like a compiler:
//
//   scenarios/chat.yaml:12:15: error: services[0].replicas.gpu: unknown device 'H10'
//      12 |       gpu: H10
//         |            ^
//   did you mean 'H100'?
//
// Every bad-input path in fleetsim throws InputError (or ConfigError, its positioned
// form); the CLI prints Format() and exits with code 2. Nothing else is caught there, so
// a programming error is never disguised as bad input.
#pragma once

#include <stdexcept>
#include <string>

namespace fleetsim {

class InputError : public std::runtime_error {
 public:
  explicit InputError(std::string message, std::string suggestion = "")
      : std::runtime_error(message), suggestion_(std::move(suggestion)) {}
  const std::string& suggestion() const { return suggestion_; }
  // "error: <message>\ndid you mean '<suggestion>'?"
  virtual std::string Format() const;

 private:
  std::string suggestion_;
};

class ConfigError : public InputError {
 public:
  // line and column are 1-based; 0 means unknown (e.g. a file that could not be opened).
  ConfigError(std::string file, int line, int column, std::string key_path, std::string message,
              std::string source_line = "", std::string suggestion = "");

  const std::string& file() const { return file_; }
  int line() const { return line_; }
  int column() const { return column_; }
  const std::string& key_path() const { return key_path_; }
  const std::string& detail() const { return detail_; }
  std::string Format() const override;

 private:
  std::string file_;
  int line_;
  int column_;
  std::string key_path_;
  std::string detail_;
  std::string source_line_;
};

}  // namespace fleetsim
