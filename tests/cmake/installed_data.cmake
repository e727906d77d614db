# An installed drumforge finds its data files (class table, loop patterns, classifier.ini) in
# PREFIX/share/drumforge, without the source tree it was built from.
add_test(NAME test_installed_data
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cmake/installed_data.sh ${PROJECT_BINARY_DIR}
          ${CMAKE_CURRENT_BINARY_DIR}/installed_data)
set_tests_properties(test_installed_data PROPERTIES LABELS unit)
