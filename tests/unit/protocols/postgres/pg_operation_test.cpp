#include "protocols/postgres/pg_operation.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

namespace redeye::postgres {
namespace {

std::string sql_op(std::string_view sql) { return std::string(op_name(op_from_sql(sql))); }
std::string tag_op(std::string_view tag) { return std::string(op_name(op_from_tag(tag))); }

std::vector<std::string> statements(std::string_view sql, bool* complete = nullptr) {
  std::array<OpId, 8> ops{};
  bool all = true;
  const size_t n = statement_ops(sql, ops, &all);
  if (complete != nullptr) *complete = all;
  std::vector<std::string> out;
  for (size_t i = 0; i < n; i++) out.emplace_back(op_name(ops[i]));
  return out;
}

TEST(PgOperationTest, FirstKeywordOfTheSql) {
  EXPECT_EQ(sql_op("SELECT 1"), "SELECT");
  EXPECT_EQ(sql_op("  \n\tselect 1"), "SELECT");
  EXPECT_EQ(sql_op("-- comment\nUpdate t set a=1"), "UPDATE");
  EXPECT_EQ(sql_op("/* a /* nested */ comment */ DELETE FROM t"), "DELETE");
  EXPECT_EQ(sql_op("((SELECT 1)) UNION (SELECT 2)"), "SELECT");
  EXPECT_EQ(sql_op("insert into t values (1)"), "INSERT");
  EXPECT_EQ(sql_op("begin"), "BEGIN");
  EXPECT_EQ(sql_op("END"), "COMMIT");
  EXPECT_EQ(sql_op("abort"), "ROLLBACK");
  EXPECT_EQ(sql_op("VALUES (1), (2)"), "SELECT");
  EXPECT_EQ(sql_op("TABLE t"), "SELECT");
  EXPECT_EQ(sql_op("create table t (a int)"), "CREATE");
  EXPECT_EQ(sql_op("start transaction"), "START");
}

TEST(PgOperationTest, UnknownOrGarbageIsOther) {
  EXPECT_EQ(sql_op(""), "OTHER");
  EXPECT_EQ(sql_op("   "), "OTHER");
  EXPECT_EQ(sql_op("FROBNICATE x"), "OTHER");
  EXPECT_EQ(sql_op("\x01\x02\x03"), "OTHER");
  EXPECT_EQ(sql_op("SELECTED"), "OTHER");
  EXPECT_EQ(sql_op("a_very_long_identifier_that_is_no_keyword"), "OTHER");
  EXPECT_EQ(sql_op("/* unterminated"), "OTHER");
}

TEST(PgOperationTest, WithFindsTheMainVerb) {
  EXPECT_EQ(sql_op("WITH x AS (SELECT 1) SELECT * FROM x"), "SELECT");
  EXPECT_EQ(sql_op("with recursive r(n) as (values (1) union all select n+1 from r) "
                   "insert into t select * from r"),
            "INSERT");
  EXPECT_EQ(sql_op("WITH a AS (SELECT ')' AS p), b AS MATERIALIZED (SELECT 2) "
                   "DELETE FROM t USING a, b"),
            "DELETE");
  EXPECT_EQ(sql_op("WITH a AS NOT MATERIALIZED (SELECT $$)$$) UPDATE t SET x = 1"), "UPDATE");
  // Cut short or unusual: WITH itself.
  EXPECT_EQ(sql_op("WITH a AS (SELECT 1"), "WITH");
  EXPECT_EQ(sql_op("WITH"), "WITH");
}

TEST(PgOperationTest, CommandTags) {
  EXPECT_EQ(tag_op("SELECT 42"), "SELECT");
  EXPECT_EQ(tag_op("INSERT 0 1"), "INSERT");
  EXPECT_EQ(tag_op("UPDATE 5"), "UPDATE");
  EXPECT_EQ(tag_op("DELETE 0"), "DELETE");
  EXPECT_EQ(tag_op("BEGIN"), "BEGIN");
  EXPECT_EQ(tag_op("COMMIT"), "COMMIT");
  EXPECT_EQ(tag_op("ROLLBACK"), "ROLLBACK");
  EXPECT_EQ(tag_op("CREATE TABLE"), "CREATE");
  EXPECT_EQ(tag_op("START TRANSACTION"), "START");
  EXPECT_EQ(tag_op("COPY 3"), "COPY");
  EXPECT_EQ(tag_op("MERGE 2"), "MERGE");
  EXPECT_EQ(tag_op(""), "OTHER");
  EXPECT_EQ(tag_op("SURPRISE 1"), "OTHER");
}

TEST(PgOperationTest, SplitsMultiStatementQueries) {
  EXPECT_EQ(statements("BEGIN; SELECT 1; COMMIT"),
            (std::vector<std::string>{"BEGIN", "SELECT", "COMMIT"}));
  // Semicolons in strings, identifiers, comments and dollar quotes; empty statements.
  EXPECT_EQ(statements("SELECT ';'; ; UPDATE \"a;b\" SET c = E'\\';' -- x;\n; "
                       "DO $f$ BEGIN; END $f$; /* ; */ DELETE FROM t;"),
            (std::vector<std::string>{"SELECT", "UPDATE", "DO", "DELETE"}));
  EXPECT_TRUE(statements("").empty());
  EXPECT_TRUE(statements(" ; ; ").empty());
  bool complete = true;
  EXPECT_EQ(statements("SELECT 1;SELECT 2;SELECT 3;SELECT 4;SELECT 5;SELECT 6;SELECT 7;"
                       "SELECT 8;SELECT 9",
                       &complete)
                .size(),
            8u);
  EXPECT_FALSE(complete);
}

TEST(PgOperationTest, SqlstateLabel) {
  EXPECT_EQ(sqlstate_label("42P01"), "42P01");
  EXPECT_EQ(sqlstate_label("23505"), "23505");
  EXPECT_EQ(sqlstate_label(""), "OTHER");
  EXPECT_EQ(sqlstate_label("42p01"), "OTHER");
  EXPECT_EQ(sqlstate_label("4201"), "OTHER");
  EXPECT_EQ(sqlstate_label("42P01X"), "OTHER");
}

}  // namespace
}  // namespace redeye::postgres
