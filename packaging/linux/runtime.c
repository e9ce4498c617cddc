/*
 * Wenku's AppImage runtime: the small ELF program at the start of Wenku-<version>-x86_64.AppImage.
 *
 * An AppImage (type 2) is this program followed by a squashfs image of the application folder
 * (AppDir). The official runtime (github.com/AppImage/type2-runtime) cannot be downloaded on our
 * build machines, so Wenku ships this one, which does the same job with the system's tools:
 *
 *   1. find the squashfs: it starts where this ELF file ends (section headers are last, so the
 *      end is e_shoff + e_shnum * e_shentsize);
 *   2. mount it read-only with `squashfuse -o offset=N` (FUSE, no root needed) on a private
 *      temporary folder, run AppDir/AppRun with the user's arguments, unmount when it exits;
 *   3. where FUSE or squashfuse is missing, or with --appimage-extract-and-run or
 *      APPIMAGE_EXTRACT_AND_RUN=1, extract once with `unsquashfs -o N` into
 *      ~/.cache/wenku-appimage/<size>-<mtime> and run AppRun from there.
 *
 * Options handled here (everything else goes to AppRun): --appimage-offset,
 * --appimage-extract [DIR], --appimage-extract-and-run, --appimage-help.
 * Environment given to AppRun, as with official AppImages: APPIMAGE (this file), APPDIR (the
 * mounted folder), ARGV0 and OWD (the folder the user started from).
 *
 * Build: `gcc -Os -s -o runtime runtime.c` (glibc, x86-64); packaging/linux/build_linux.py does it
 * and appends the squashfs.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* snprintf into a PATH_MAX buffer, giving up clearly rather than using a truncated path. */
static void path_format(char *out, const char *format, ...) {
    va_list args;
    va_start(args, format);
    int n = vsnprintf(out, PATH_MAX, format, args);
    va_end(args);
    if (n < 0 || n >= PATH_MAX) {
        fprintf(stderr, "wenku-appimage: path too long\n");
        exit(127);
    }
}

static const char *self_path(void) {
    static char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0) {
        perror("wenku-appimage: cannot find its own file (/proc/self/exe)");
        exit(127);
    }
    path[n] = '\0';
    return path;
}

/* Where the squashfs starts: the end of this ELF file (64-bit little-endian only). */
static long squashfs_offset(const char *path) {
    FILE *file = fopen(path, "rb");
    Elf64_Ehdr header;
    if (!file || fread(&header, sizeof header, 1, file) != 1) {
        fprintf(stderr, "wenku-appimage: cannot read %s: %s\n", path, strerror(errno));
        exit(127);
    }
    fclose(file);
    if (memcmp(header.e_ident, ELFMAG, SELFMAG) != 0 || header.e_ident[EI_CLASS] != ELFCLASS64) {
        fprintf(stderr, "wenku-appimage: %s is not a 64-bit ELF file\n", path);
        exit(127);
    }
    return (long)(header.e_shoff + (Elf64_Off)header.e_shnum * header.e_shentsize);
}

/* Run argv, wait, return its exit status (127 if it could not start). */
static int run(char *const argv[], int quiet) {
    pid_t pid = fork();
    if (pid < 0) return 127;
    if (pid == 0) {
        if (quiet) {
            freopen("/dev/null", "w", stdout);
            freopen("/dev/null", "w", stderr);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return 127;
}

static int have_tool(const char *name) {
    char command[256];
    snprintf(command, sizeof command, "command -v %s >/dev/null 2>&1", name);
    return system(command) == 0;
}

static void export_environment(const char *image, const char *appdir, const char *argv0) {
    char cwd[PATH_MAX];
    setenv("APPIMAGE", image, 1);
    setenv("APPDIR", appdir, 1);
    setenv("ARGV0", argv0, 1);
    if (getcwd(cwd, sizeof cwd)) setenv("OWD", cwd, 1);
}

static int extract(const char *image, long offset, const char *target) {
    char offset_text[32];
    snprintf(offset_text, sizeof offset_text, "%ld", offset);
    char *argv[] = {"unsquashfs", "-q", "-n", "-f", "-o", offset_text, "-d", (char *)target, (char *)image, NULL};
    if (!have_tool("unsquashfs")) {
        fprintf(stderr, "wenku-appimage: cannot extract: 'unsquashfs' is missing "
                        "(Debian/Ubuntu: sudo apt install squashfs-tools)\n");
        return 127;
    }
    return run(argv, 1);
}

/* mkdir -p: create a folder and its missing parents. */
static int make_folders(const char *path) {
    char partial[PATH_MAX];
    path_format(partial, "%s", path);
    for (char *slash = partial + 1; *slash; slash++) {
        if (*slash != '/') continue;
        *slash = '\0';
        if (mkdir(partial, 0700) != 0 && errno != EEXIST) return -1;
        *slash = '/';
    }
    return mkdir(partial, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* Run AppRun from an extracted copy in the user's cache (extracted once, atomically). */
static int extract_and_run(const char *image, long offset, int argc, char **argv) {
    struct stat info;
    char cache[PATH_MAX], target[PATH_MAX], partial[PATH_MAX], apprun[PATH_MAX];
    const char *home = getenv("XDG_CACHE_HOME");
    stat(image, &info);
    if (home && *home) path_format(cache, "%s/wenku-appimage", home);
    else path_format(cache, "%s/.cache/wenku-appimage", getenv("HOME") ? getenv("HOME") : "/tmp");
    path_format(target, "%s/%lld-%lld", cache, (long long)info.st_size, (long long)info.st_mtime);
    path_format(apprun, "%s/AppRun", target);
    if (access(apprun, X_OK) != 0) {
        if (make_folders(cache) != 0) {
            fprintf(stderr, "wenku-appimage: cannot create %s: %s\n", cache, strerror(errno));
            return 127;
        }
        path_format(partial, "%s.partial-%d", target, (int)getpid());
        fprintf(stderr, "wenku-appimage: first start without FUSE: unpacking into %s …\n", target);
        if (extract(image, offset, partial) != 0 || rename(partial, target) != 0) {
            fprintf(stderr, "wenku-appimage: unpacking failed\n");
            return 127;
        }
    }
    export_environment(image, target, argv[0]);
    argv[0] = apprun;
    execv(apprun, argv);
    perror("wenku-appimage: cannot start AppRun");
    (void)argc;
    return 127;
}

static char mountpoint[PATH_MAX];

static void unmount(void) {
    char *fusermount3[] = {"fusermount3", "-u", "-q", mountpoint, NULL};
    char *fusermount[] = {"fusermount", "-u", "-q", mountpoint, NULL};
    char *umount[] = {"umount", mountpoint, NULL};
    if (run(fusermount3, 1) != 0 && run(fusermount, 1) != 0) run(umount, 1);
    rmdir(mountpoint);
}

/* Mount with squashfuse and run AppRun; -1 when mounting is not possible here. */
static int mount_and_run(const char *image, long offset, char **argv) {
    char offset_option[64], apprun[PATH_MAX];
    if (access("/dev/fuse", R_OK | W_OK) != 0 || !have_tool("squashfuse")) return -1;
    const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    path_format(mountpoint, "%s/.mount_wenku_XXXXXX", tmp);
    if (!mkdtemp(mountpoint)) return -1;
    snprintf(offset_option, sizeof offset_option, "offset=%ld", offset);
    char *mount_argv[] = {"squashfuse", "-o", offset_option, (char *)image, mountpoint, NULL};
    if (run(mount_argv, 1) != 0) {
        rmdir(mountpoint);
        return -1;
    }
    path_format(apprun, "%s/AppRun", mountpoint);
    export_environment(image, mountpoint, argv[0]);
    argv[0] = apprun;
    signal(SIGINT, SIG_IGN);  /* Ctrl+C reaches the app; we stay to unmount after it */
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        execv(apprun, argv);
        perror("wenku-appimage: cannot start AppRun");
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    unmount();
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 127;
}

int main(int argc, char **argv) {
    const char *image = self_path();
    long offset = squashfs_offset(image);
    const char *option = argc > 1 ? argv[1] : "";
    if (strcmp(option, "--appimage-offset") == 0) {
        printf("%ld\n", offset);
        return 0;
    }
    if (strcmp(option, "--appimage-help") == 0) {
        printf("Wenku AppImage. Options: --appimage-offset, --appimage-extract [DIR], --appimage-extract-and-run;\n"
               "anything else is passed to Wenku (no arguments: the desktop app; 'cli ...': the wenku command).\n");
        return 0;
    }
    if (strcmp(option, "--appimage-extract") == 0) {
        const char *target = argc > 2 ? argv[2] : "squashfs-root";
        int code = extract(image, offset, target);
        if (code == 0) printf("%s\n", target);
        return code;
    }
    int force_extract = getenv("APPIMAGE_EXTRACT_AND_RUN") && strcmp(getenv("APPIMAGE_EXTRACT_AND_RUN"), "1") == 0;
    if (strcmp(option, "--appimage-extract-and-run") == 0) {
        force_extract = 1;
        argv[1] = argv[0];
        argv++;
        argc--;
    }
    if (!force_extract) {
        int code = mount_and_run(image, offset, argv);
        if (code >= 0) return code;
    }
    if (!have_tool("unsquashfs") && !force_extract) {
        fprintf(stderr, "wenku-appimage: cannot open the image: install squashfuse (FUSE) or squashfs-tools "
                        "(Debian/Ubuntu: sudo apt install squashfuse)\n");
        return 127;
    }
    return extract_and_run(image, offset, argc, argv);
}
