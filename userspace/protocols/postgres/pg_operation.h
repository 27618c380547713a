// db_operation_name values: the SQL command of a statement, from a bounded list (never the
// query text). From a CommandComplete tag ("INSERT 0 1" -> INSERT), the most exact source, or
// from the SQL itself (first keyword after whitespace, comments and parentheses; WITH -> the
// main statement's verb when it is cheaply found). Anything else is OTHER.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace redeye::postgres {

// Index into the operation table; 0 is OTHER.
using OpId = uint8_t;
inline constexpr OpId kOpOther = 0;

std::string_view op_name(OpId op);
// Upper-cases and looks up one keyword ("end" -> COMMIT, "values" -> SELECT, ...).
OpId op_from_keyword(std::string_view word);
// From a CommandComplete tag: its first word.
OpId op_from_tag(std::string_view tag);
// From SQL text, possibly truncated: its first statement's command.
OpId op_from_sql(std::string_view sql);

// The commands of the statements of a (possibly multi-statement) simple query, in order,
// skipping empty ones; at most out.size(). `*complete` = false when the text may hold more
// statements than were returned (too many, or the text was cut short).
size_t statement_ops(std::string_view sql, std::span<OpId> out, bool* complete);

// error_type: the 5-character SQLSTATE, or OTHER when it is missing or malformed.
std::string_view sqlstate_label(std::string_view code);

}  // namespace redeye::postgres
