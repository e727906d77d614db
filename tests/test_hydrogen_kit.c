/* Hydrogen kits: drumkit.xml in its three layouts (old <filename> under <instrument>, <layer>,
 * namespaced <instrumentComponent><layer>) lists each instrument's files; a malformed file is
 * refused naming the line; prepare labels a kit's sounds from its instrument names through
 * the class table, reports a missing sample as rejected and placeholder slots, unused files
 * (also in subfolders) and a broken drumkit.xml as what they are, and carries on; a kit saved
 * on Windows (absolute paths with backslashes) finds its files beside drumkit.xml, a kit
 * inside a kit folder is a kit, and a kit may name files outside its folder. */
#include <stdlib.h>
#include <string.h>
#include <sndfile.h>
#include <sys/stat.h>

#include "common/datafiles.h"
#include "common/testlib.h"
#include "data/hydrogen.h"

static const char *old_xml =
    "<drumkit_info>\n <name>OldKit</name>\n <license>GPL</license>\n <instrumentList>\n"
    "  <instrument><id>0</id><filename>kick.wav</filename><name>Kick 1</name></instrument>\n"
    "  <instrument><id>1</id><filename>snare.flac</filename><name>Snare</name></instrument>\n"
    "  <instrument><id>2</id><filename>emptySample.flac</filename><name>17</name></instrument>\n"
    " </instrumentList>\n</drumkit_info>\n";

static const char *layer_xml =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<drumkit_info>\n <name>LayerKit</name>\n"
    " <licence>CC0</licence>\n <instrumentList>\n"
    "  <instrument><name>Closed HH</name>\n"
    "   <layer><filename>hh1.wav</filename><min>0</min><max>0.5</max></layer>\n"
    "   <layer><filename>hh2.aiff</filename><min>0.5</min><max>1</max></layer>\n"
    "  </instrument>\n"
    "  <instrument><name>Cowbell</name><layer><filename>gone.flac</filename></layer></instrument>\n"
    "  <instrument><name>Open HH</name><layer><filename>hh1.wav</filename></layer></instrument>\n"
    " </instrumentList>\n</drumkit_info>\n";

static const char *component_xml =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<drumkit_info xmlns=\"http://www.hydrogen-music.org/drumkit\">\n <name>NewKit</name>\n"
    " <componentList><drumkitComponent><id>0</id><name>Main</name></drumkitComponent></componentList>\n"
    " <instrumentList>\n  <instrument><id>0</id><name>Floor Tom</name>\n"
    "   <instrumentComponent><component_id>0</component_id>\n"
    "    <layer><filename>tom soft.wav</filename></layer><layer><filename>tom hard.wav</filename></layer>\n"
    "   </instrumentComponent>\n  </instrument>\n </instrumentList>\n</drumkit_info>\n";

/* Saved on Windows: an absolute path with backslashes; the file sits beside drumkit.xml. The
 * kit folder also holds a subfolder of loose files and, inside that, a kit of its own. */
static const char *windows_xml =
    "<drumkit_info><name>WinKit</name><instrumentList>\n"
    "  <instrument><name>Ride</name><layer><filename>C:\\Users\\me\\drumkits\\WinKit\\ride.wav</filename></layer></instrument>\n"
    "</instrumentList></drumkit_info>\n";
static const char *inner_xml =
    "<drumkit_info><name>Inner</name><instrumentList>\n"
    "  <instrument><name>Hand Clap</name><layer><filename>clap.wav</filename></layer></instrument>\n"
    "</instrumentList></drumkit_info>\n";

static void write_audio(const char *dir, const char *name, int format, double freq) {
  char path[4300];
  float x[4000];
  df_test_tone(x, 1, 4000, 22050, 0, freq);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  df_test_write_sndfile(path, format, 1, 22050, 4000, x);
}

static void make_kit(const char *root, const char *name, const char *xml) {
  char dir[4300], path[4400];
  snprintf(dir, sizeof dir, "%s/%s", root, name);
  mkdir(dir, 0777);
  snprintf(path, sizeof path, "%s/drumkit.xml", dir);
  df_test_write_text(path, xml);
}

static void check_parse(const char *xml_path, const char *kit_name, int n, const char *const *inst,
                        const char *const *files) {
  h2_kit k;
  char what[256];
  snprintf(what, sizeof what, "parse %s", kit_name);
  if (!df_expect_ok(h2_kit_parse(xml_path, &k), what)) return;
  int ok = !strcmp(k.name, kit_name) && k.n_samples == n;
  for (int i = 0; i < n && ok; i++) ok = !strcmp(k.samples[i].instrument, inst[i]) && !strcmp(k.samples[i].file, files[i]);
  snprintf(what, sizeof what, "%s: instruments and files in document order", kit_name);
  df_expect_true(ok, what);
  h2_kit_free(&k);
}

int main(void) {
  df_test_begin("test_hydrogen_kit");
  char root[4096], dir[4300], path[4400];
  df_test_scratch_dir("hydrogen_kit", root, sizeof root);
  make_kit(root, "OldKit", old_xml);
  make_kit(root, "LayerKit", layer_xml);
  make_kit(root, "NewKit", component_xml);
  make_kit(root, "BrokenKit", "<drumkit_info><name>x</name>\n<instrumentList>\n</drumkit_info>\n");
  snprintf(dir, sizeof dir, "%s/OldKit", root);
  write_audio(dir, "kick.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 60);
  write_audio(dir, "snare.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, 200);
  write_audio(dir, "emptySample.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 300);
  write_audio(dir, "leftover.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 400);
  snprintf(dir, sizeof dir, "%s/LayerKit", root);
  write_audio(dir, "hh1.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 5000);
  write_audio(dir, "hh2.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16, 6000);
  snprintf(dir, sizeof dir, "%s/NewKit", root);
  write_audio(dir, "tom soft.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 100);
  write_audio(dir, "tom hard.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_24, 110);
  snprintf(dir, sizeof dir, "%s/BrokenKit", root);
  write_audio(dir, "crash.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 3000);
  make_kit(root, "WinKit", windows_xml);
  snprintf(dir, sizeof dir, "%s/WinKit", root);
  write_audio(dir, "ride.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 2500);
  snprintf(dir, sizeof dir, "%s/WinKit/extra", root);
  mkdir(dir, 0777);
  write_audio(dir, "loose.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 2600);
  make_kit(dir, "Inner", inner_xml);
  snprintf(dir, sizeof dir, "%s/WinKit/extra/Inner", root);
  write_audio(dir, "clap.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1500);

  snprintf(path, sizeof path, "%s/OldKit/drumkit.xml", root);
  check_parse(path, "OldKit", 3, (const char *[]){"Kick 1", "Snare", "17"},
              (const char *[]){"kick.wav", "snare.flac", "emptySample.flac"});
  snprintf(path, sizeof path, "%s/LayerKit/drumkit.xml", root);
  check_parse(path, "LayerKit", 4, (const char *[]){"Closed HH", "Closed HH", "Cowbell", "Open HH"},
              (const char *[]){"hh1.wav", "hh2.aiff", "gone.flac", "hh1.wav"});
  snprintf(path, sizeof path, "%s/NewKit/drumkit.xml", root);
  check_parse(path, "NewKit", 2, (const char *[]){"Floor Tom", "Floor Tom"},
              (const char *[]){"tom soft.wav", "tom hard.wav"});
  h2_kit k;
  snprintf(path, sizeof path, "%s/BrokenKit/drumkit.xml", root);
  df_expect_status(h2_kit_parse(path, &k), DF_ERR_FORMAT, "a malformed drumkit.xml is refused");
  df_expect_true(strstr(df_last_error(), "drumkit.xml:4") != NULL, "the message names the file and line");

  /* prepare on the kits folder. */
  df_prepare_options o;
  df_prepare_defaults(&o);
  const char *inputs[] = {root};
  char out[4300];
  snprintf(out, sizeof out, "%s-out", root);
  o.inputs = inputs;
  o.n_inputs = 1;
  o.out_dir = out;
  o.rate = 22050;
  o.length = 4096;
  df_prepare_result r;
  if (!df_expect_ok(df_prepare(&o, &r), "prepare the kits")) return df_test_finish();
  /* Expected: OldKit kick + snare, LayerKit hh1 (closed; its reuse for Open HH is the same
   * file) + hh2, NewKit two toms, BrokenKit's crash.wav read as a plain file (unlabelled),
   * WinKit's ride and the clap of the kit inside it. */
  int64_t total = r.examples[0] + r.examples[1] + r.examples[2];
  char what[256];
  snprintf(what, sizeof what, "9 examples from 9 usable files (got %lld from %lld)", (long long)total, (long long)r.used);
  df_expect_true(total == 9 && r.used == 9, what);
  snprintf(what, sizeof what, "1 rejected (the missing sample) + 1 (the broken xml), got %lld", (long long)r.rejected);
  df_expect_true(r.rejected == 2, what);
  snprintf(what, sizeof what, "3 skipped (placeholder slot, leftover file, a kit subfolder's loose file), got %lld",
           (long long)r.skipped);
  df_expect_true(r.skipped == 3, what);
  /* Every file considered is counted once: found = used + rejected + skipped (the summary line
   * added up to more than "found" when the scan had rejected or skipped some). */
  snprintf(what, sizeof what, "found %lld = used + rejected + skipped", (long long)r.files);
  df_expect_true(r.files == r.used + r.rejected + r.skipped, what);
  char *manifest;
  size_t len;
  snprintf(path, sizeof path, "%s/manifest.json", out);
  if (df_expect_ok(df_read_file(path, &manifest, &len), "read manifest.json")) {
    df_expect_true(strstr(manifest, "gone.flac") && strstr(manifest, "missing: LayerKit/drumkit.xml names it for instrument 'Cowbell'"),
                   "the missing sample is listed with its instrument");
    df_expect_true(strstr(manifest, "BrokenKit/drumkit.xml") && strstr(manifest, "not valid XML"),
                   "the broken drumkit.xml is listed as rejected");
    df_expect_true(strstr(manifest, "instrument '17' of kit 'OldKit' is mapped to skip") != NULL, "the placeholder slot is skipped");
    df_expect_true(strstr(manifest, "leftover.wav") && strstr(manifest, "not used by its drumkit.xml"),
                   "the unused file is listed");
    df_expect_true(strstr(manifest, "\"license\":\t\"CC0\"") != NULL, "a kit's <licence> is recorded");
    df_expect_true(strstr(manifest, "extra/loose.wav") && strstr(manifest, "in kit folder 'WinKit' but not used"),
                   "a file in a kit's subfolder that the kit does not use is listed");
    df_expect_true(strstr(manifest, "\"folder\":\t\"Inner\"") != NULL, "a kit inside a kit folder is a kit");
    free(manifest);
  }
  /* Labels by source file. */
  df_dataset_summary sum;
  if (df_expect_ok(df_dataset_summarize(out, &sum), "summarise")) {
    static const struct { const char *file, *cls; } want[] = {
        {"kick.wav", "kick"}, {"snare.flac", "snare"}, {"hh1.wav", "hh_closed"}, {"hh2.aiff", "hh_closed"},
        {"tom soft.wav", "tom"}, {"tom hard.wav", "tom"}, {"crash.wav", ""}, {"ride.wav", "ride"},
        {"clap.wav", "clap"}};
    int found = 0, right = 0;
    for (int s = 0; s < DF_N_SPLITS; s++) {
      char shard[4400];
      snprintf(shard, sizeof shard, "%s/%s-00000.h5", out, df_split_name((df_split)s));
      df_shard *sh;
      if (df_shard_open(shard, &sh) != DF_OK) continue;
      const df_shard_info *in = df_shard_get_info(sh);
      for (int64_t i = 0; i < in->examples; i++) {
        df_example_meta m;
        df_shard_meta(sh, i, &m);
        for (size_t j = 0; j < sizeof want / sizeof want[0]; j++) {
          const char *base = strrchr(m.source, '/');
          if (!base || strcmp(base + 1, want[j].file)) continue;
          found++;
          right += m.label < 0 ? !want[j].cls[0] : !strcmp(in->class_names[m.label], want[j].cls);
        }
      }
      df_shard_close(sh);
    }
    snprintf(what, sizeof what, "each sound carries its instrument's class (%d of %d found, %d right)", found, 9, right);
    df_expect_true(found == 9 && right == 9, what);
  }

  /* A kit may name files outside its folder (README: "A kit may name files outside its
   * folder"): ../ paths and absolute paths that exist are read as the kit's. */
  char root2[4300], kit2[4400], abs_xml[4400 * 2];
  snprintf(root2, sizeof root2, "%s-outside", root);
  mkdir(root2, 0777);
  snprintf(dir, sizeof dir, "%s/shared", root2);
  mkdir(dir, 0777);
  write_audio(dir, "cowbell.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 800);
  write_audio(dir, "ride.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 900);
  snprintf(abs_xml, sizeof abs_xml,
           "<drumkit_info><name>Outside</name><instrumentList>\n"
           "  <instrument><name>Cowbell</name><filename>../shared/cowbell.wav</filename></instrument>\n"
           "  <instrument><name>Ride</name><filename>%s/ride.wav</filename></instrument>\n"
           "</instrumentList></drumkit_info>\n", dir);
  make_kit(root2, "Outside", abs_xml);
  snprintf(kit2, sizeof kit2, "%s/Outside", root2);
  inputs[0] = kit2;
  snprintf(out, sizeof out, "%s-out", root2);
  snprintf(what, sizeof what, "a kit naming ../shared/cowbell.wav and %s/ride.wav: both read as its files", dir);
  df_expect_true(df_prepare(&o, &r) == DF_OK && r.used == 2 && r.rejected == 0, what);
  return df_test_finish();
}
