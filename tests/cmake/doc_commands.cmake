# The documented command lines (README, the shipped model's README, experiment headers) are
# accepted by drumforge: each runs with --help appended, so its options are parsed and nothing
# else is done.
add_test(NAME test_doc_commands
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cmake/doc_commands.sh ${PROJECT_SOURCE_DIR} $<TARGET_FILE:drumforge>)
set_tests_properties(test_doc_commands PROPERTIES LABELS unit)
