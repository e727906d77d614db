/* df_parse_class_list, the one reader of comma-separated class lists (generate/encode
 * --class, import --classes, the loader's train.classes): spaces around names dropped,
 * empty entries skipped, and a clear error for a list naming nothing, too many classes or
 * a name too long. */
#include <string.h>

#include "common/testlib.h"
#include "drumforge/dataset.h"

int main(void) {
  df_test_begin("test_class_list");
  char names[4][DF_CLASS_NAME_LEN];
  int n = -1;
  if (df_expect_ok(df_parse_class_list(" kick, snare ,\thh_closed\t,,", names, 4, &n), "a list with spaces"))
    df_expect_true(n == 3 && !strcmp(names[0], "kick") && !strcmp(names[1], "snare") && !strcmp(names[2], "hh_closed"),
                   "three names, trimmed, the empty entries skipped");
  if (df_expect_ok(df_parse_class_list("kick", names, 4, &n), "one name"))
    df_expect_true(n == 1 && !strcmp(names[0], "kick"), "one name read");
  df_expect_status(df_parse_class_list(" , ,", names, 4, &n), DF_ERR_INVALID_ARG, "a list naming no class");
  df_expect_true(strstr(df_last_error(), "names no class") != NULL, "the error says it names no class");
  df_expect_status(df_parse_class_list("", names, 4, &n), DF_ERR_INVALID_ARG, "an empty list");
  df_expect_status(df_parse_class_list("a,b,c,d,e", names, 4, &n), DF_ERR_INVALID_ARG, "more names than room");
  df_expect_true(strstr(df_last_error(), "more than 4") != NULL, "the error gives the limit");
  df_expect_status(df_parse_class_list("a_class_name_much_longer_than_thirty_one", names, 4, &n), DF_ERR_INVALID_ARG,
                   "a name too long");
  df_expect_true(strstr(df_last_error(), "longer than 31") != NULL, "the error names the length limit");
  return df_test_finish();
}
