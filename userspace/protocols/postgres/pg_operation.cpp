#include "protocols/postgres/pg_operation.h"

#include <array>
#include <cctype>

#include "text/ascii.h"

namespace redeye::postgres {
namespace {

// The commands PostgreSQL's grammar starts statements with and its command tags begin with.
constexpr std::array<std::string_view, 49> kOps = {
    "OTHER",      "SELECT",   "INSERT",   "UPDATE",    "DELETE",  "MERGE",    "BEGIN",
    "START",      "COMMIT",   "ROLLBACK", "SAVEPOINT", "RELEASE", "PREPARE",  "EXECUTE",
    "DEALLOCATE", "DECLARE",  "FETCH",    "MOVE",      "CLOSE",   "COPY",     "CREATE",
    "ALTER",      "DROP",     "TRUNCATE", "GRANT",     "REVOKE",  "SET",      "RESET",
    "SHOW",       "EXPLAIN",  "ANALYZE",  "VACUUM",    "CLUSTER", "REINDEX",  "LOCK",
    "LISTEN",     "NOTIFY",   "UNLISTEN", "DISCARD",   "DO",      "CALL",     "CHECKPOINT",
    "COMMENT",    "SECURITY", "LOAD",     "REFRESH",   "IMPORT",  "REASSIGN", "WITH"};
constexpr size_t kMaxKeyword = 16;

// a == b, where the first character and the length rule out nearly all names without a
// memcmp. `b` is not empty.
bool same(std::string_view a, std::string_view b) {
  return a.size() == b.size() && a[0] == b[0] && a == b;
}

OpId find(std::string_view upper) {
  if (upper.empty()) return kOpOther;
  for (size_t i = 1; i < kOps.size(); i++) {
    if (same(upper, kOps[i])) return static_cast<OpId>(i);
  }
  return kOpOther;
}

const OpId kSelect = find("SELECT");
const OpId kCommit = find("COMMIT");
const OpId kRollback = find("ROLLBACK");
const OpId kAnalyze = find("ANALYZE");
const OpId kWith = find("WITH");

using text::iequals;

bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_ident(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}

// A cursor over SQL text that knows comments, quotes and dollar quotes. Bounded by the text.
class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}
  bool done() const { return pos_ >= s_.size(); }
  char peek() const { return done() ? '\0' : s_[pos_]; }
  size_t pos() const { return pos_; }
  void advance() { pos_++; }

  // Skips whitespace and comments (nested /* */ as PostgreSQL does).
  void skip_blank() {
    while (!done()) {
      const char c = s_[pos_];
      if (std::isspace(static_cast<unsigned char>(c))) {
        pos_++;
      } else if (c == '-' && next_is('-')) {
        while (!done() && s_[pos_] != '\n') pos_++;
      } else if (c == '/' && next_is('*')) {
        int depth = 0;
        while (!done()) {
          if (s_[pos_] == '/' && next_is('*')) {
            depth++;
            pos_ += 2;
          } else if (s_[pos_] == '*' && next_is('/')) {
            pos_ += 2;
            if (--depth == 0) break;
          } else {
            pos_++;
          }
        }
      } else {
        return;
      }
    }
  }

  // An identifier or keyword at the cursor ("" if none).
  std::string_view word() {
    const size_t start = pos_;
    if (done() || !is_ident_start(s_[pos_])) return {};
    while (!done() && is_ident(s_[pos_])) pos_++;
    return s_.substr(start, pos_ - start);
  }

  // Skips one token that is not blank: a quoted string or identifier, a dollar-quoted string,
  // a word, or one other character. Returns the character that started it.
  char skip_token() {
    const char c = s_[pos_];
    if (c == '\'' || c == '"') {
      // E'...' strings take backslash escapes.
      const bool backslash = c == '\'' && pos_ > 0 &&
                             (s_[pos_ - 1] == 'E' || s_[pos_ - 1] == 'e') &&
                             (pos_ < 2 || !is_ident(s_[pos_ - 2]));
      pos_++;
      while (!done()) {
        if (backslash && s_[pos_] == '\\') {
          pos_ += 2;
        } else if (s_[pos_] == c) {
          pos_++;
          if (peek() != c) break;  // '' inside a string is a quote
          pos_++;
        } else {
          pos_++;
        }
      }
    } else if (c == '$' && dollar_quote()) {
    } else if (is_ident_start(c)) {
      word();
    } else {
      pos_++;
    }
    return c;
  }

  // Skips a parenthesised group starting at the cursor ('(').
  void skip_group() {
    int depth = 0;
    while (!done()) {
      skip_blank();
      if (done()) return;
      const char c = skip_token();
      if (c == '(') depth++;
      if (c == ')' && --depth <= 0) return;
    }
  }

 private:
  bool next_is(char c) const { return pos_ + 1 < s_.size() && s_[pos_ + 1] == c; }

  // $tag$ ... $tag$ at the cursor; false (cursor unchanged) when it is not one.
  bool dollar_quote() {
    size_t end = pos_ + 1;
    while (end < s_.size() && is_ident(s_[end]) && s_[end] != '$') end++;
    if (end >= s_.size() || s_[end] != '$') return false;
    const std::string_view tag = s_.substr(pos_, end - pos_ + 1);
    const size_t close = s_.find(tag, end + 1);
    pos_ = close == std::string_view::npos ? s_.size() : close + tag.size();
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

// The command of the statement at the cursor; leaves the cursor after its first keyword.
OpId leading_op(Lexer& lex) {
  lex.skip_blank();
  while (lex.peek() == '(') {
    lex.advance();
    lex.skip_blank();
  }
  const OpId op = op_from_keyword(lex.word());
  if (op != kWith) return op;
  // WITH [RECURSIVE] name [(columns)] AS [[NOT] MATERIALIZED] ( ... ) [, ...] verb
  for (int cte = 0; cte < 64; cte++) {
    lex.skip_blank();
    std::string_view w = lex.word();
    if (cte == 0 && iequals(w, "RECURSIVE")) {
      lex.skip_blank();
      w = lex.word();
    }
    if (w.empty()) {
      if (lex.peek() != '"') return kWith;
      lex.skip_token();
    }
    lex.skip_blank();
    if (lex.peek() == '(') lex.skip_group();
    lex.skip_blank();
    // AS, then optionally NOT / MATERIALIZED, then the body.
    for (int i = 0; i < 3 && !lex.done() && lex.peek() != '('; i++) {
      if (lex.word().empty()) return kWith;
      lex.skip_blank();
    }
    if (lex.peek() != '(') return kWith;
    lex.skip_group();
    lex.skip_blank();
    if (lex.peek() != ',') break;
    lex.advance();
  }
  lex.skip_blank();
  const OpId verb = op_from_keyword(lex.word());
  return verb == kOpOther ? kWith : verb;
}

}  // namespace

std::string_view op_name(OpId op) { return op < kOps.size() ? kOps[op] : kOps[kOpOther]; }

OpId op_from_keyword(std::string_view word) {
  if (word.empty() || word.size() > kMaxKeyword) return kOpOther;
  char buf[kMaxKeyword];
  for (size_t i = 0; i < word.size(); i++) {
    const char c = word[i];
    buf[i] = c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
  }
  const std::string_view upper(buf, word.size());
  // Synonyms, so that the SQL and the command tag name a statement alike.
  if (same(upper, "END")) return kCommit;
  if (same(upper, "ABORT")) return kRollback;
  if (same(upper, "VALUES") || same(upper, "TABLE")) return kSelect;
  if (same(upper, "ANALYSE")) return kAnalyze;
  return find(upper);
}

OpId op_from_tag(std::string_view tag) {
  const size_t space = tag.find(' ');
  return op_from_keyword(tag.substr(0, space));
}

OpId op_from_sql(std::string_view sql) {
  Lexer lex(sql);
  return leading_op(lex);
}

size_t statement_ops(std::string_view sql, std::span<OpId> out, bool* complete) {
  Lexer lex(sql);
  size_t n = 0;
  *complete = true;
  while (true) {
    lex.skip_blank();
    if (lex.done()) return n;
    if (lex.peek() == ';') {  // an empty statement: no CommandComplete for it
      lex.advance();
      continue;
    }
    if (n == out.size()) {
      *complete = false;
      return n;
    }
    out[n++] = leading_op(lex);
    // To the end of this statement.
    while (true) {
      lex.skip_blank();
      if (lex.done()) return n;
      if (lex.skip_token() == ';') break;
    }
  }
}

std::string_view sqlstate_label(std::string_view code) {
  if (code.size() != 5) return op_name(kOpOther);
  for (char c : code) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || (c >= 'A' && c <= 'Z'))) {
      return op_name(kOpOther);
    }
  }
  return code;
}

}  // namespace redeye::postgres
