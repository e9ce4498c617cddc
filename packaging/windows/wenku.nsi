; Wenku — per-user Windows installer (NSIS 3, Modern UI 2).
;
; Installs the PyInstaller one-folder bundle (dist\wenku: wenku.exe, wenku-desktop.exe, _internal\)
; into %LOCALAPPDATA%\Programs\Wenku for the current user only: no administrator rights, and every
; registry entry goes under HKEY_CURRENT_USER.
;
; Usually built by build_installer.py next to this file, which fills in the defines:
;
;   makensis -WX -INPUTCHARSET UTF8 -DVERSION=0.1.0 -DSRCDIR=C:\src\dist\wenku
;            -DOUTFILE=C:\src\dist\Wenku-0.1.0-setup.exe packaging\windows\wenku.nsi
;
; Required defines:  VERSION  the product version shown to users (any string, e.g. 0.1.0rc1)
;                    SRCDIR   the bundle folder to install (absolute path)
;                    OUTFILE  the setup .exe to write (absolute path)
; Optional defines:  VI_VERSION  numeric a.b.c.d version for the file properties (default 0.0.0.0)
;                    VARIANT     a build flavour, e.g. CUDA; shown as "Wenku (CUDA)"
;                    ICON        the .ico to use (default ..\icons\wenku.ico, relative to this script)
;                    TASKLIST    the tasklist program (default $SYSDIR\tasklist.exe; tests swap in a fake)
;
; Command line of the setup:      /S silent, /D=C:\path install folder (must be the last argument)
; Command line of the uninstaller: /S silent, /REMOVEDATA also delete %LOCALAPPDATA%\Wenku
;
; This file is UTF-8 with a byte order mark, so makensis reads the Chinese strings right on any system.

Unicode true
ManifestDPIAware true
SetCompressor /SOLID lzma
RequestExecutionLevel user

;--------------------------------------------------------------------------------------------------
; Defines

!ifndef VERSION
  !error "Define VERSION, e.g. makensis -DVERSION=0.1.0 (build_installer.py does this)"
!endif
!ifndef SRCDIR
  !error "Define SRCDIR, the PyInstaller bundle folder (dist\wenku)"
!endif
!ifndef OUTFILE
  !error "Define OUTFILE, the setup .exe to write"
!endif
!ifndef VI_VERSION
  !define VI_VERSION "0.0.0.0"
!endif
!ifndef ICON
  !define ICON "..\icons\wenku.ico"   ; makensis runs in the folder of this script
!endif
!ifndef TASKLIST
  !define TASKLIST "$SYSDIR\tasklist.exe"
!endif

!define APP_NAME "Wenku"
!ifdef VARIANT
  !define PRODUCT_NAME "${APP_NAME} (${VARIANT})"
!else
  !define PRODUCT_NAME "${APP_NAME}"
!endif
!define PUBLISHER "The Wenku team"

!define APP_EXE "wenku-desktop.exe"     ; the windowed GUI: shortcuts and "Open with" point here
!define CLI_EXE "wenku.exe"             ; the console CLI
!define UNINSTALLER "uninstall.exe"
!define SHORTCUT "${APP_NAME}.lnk"      ; same name for every variant, so any uninstaller finds it

; Registry keys, all under HKCU.
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Wenku"
!define APP_KEY "Software\Classes\Applications\${APP_EXE}"   ; "Open with" entry of the program
!define PROGID "Wenku.PDF"
!define PROGID_KEY "Software\Classes\${PROGID}"
!define PDF_OPENWITH_KEY "Software\Classes\.pdf\OpenWithProgids"

; The user's data, as the app finds it: platformdirs.user_data_dir("Wenku", appauthor=False).
; A runtime path ($LOCALAPPDATA is resolved on the user's machine).
!define DATA_DIR "$LOCALAPPDATA\Wenku"

; SHChangeNotify(SHCNE_ASSOCCHANGED, SHCNF_IDLIST, NULL, NULL): tells Explorer that file
; associations changed, so "Open with" menus pick up the change without a logoff.
!define NOTIFY_ASSOC_CHANGED "System::Call 'shell32::SHChangeNotify(i 0x08000000, i 0, p 0, p 0)'"

;--------------------------------------------------------------------------------------------------
; General

Name "${PRODUCT_NAME}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\Wenku"
; An earlier install's folder wins over the default, so upgrades land in the same place.
InstallDirRegKey HKCU "${UNINST_KEY}" "InstallLocation"
BrandingText "${PRODUCT_NAME} ${VERSION}"
ShowUninstDetails show   ; so the user reads where the kept data is

VIProductVersion "${VI_VERSION}"
VIFileVersion "${VI_VERSION}"
VIAddVersionKey /LANG=0 "ProductName" "${PRODUCT_NAME}"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "FileDescription" "${PRODUCT_NAME} ${VERSION} Setup"
VIAddVersionKey /LANG=0 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=0 "LegalCopyright" "AGPL-3.0-or-later, ${PUBLISHER}"

!include "MUI2.nsh"
!include "LogicLib.nsh"
!include "FileFunc.nsh"
!include "Sections.nsh"
!include "WinVer.nsh"
!include "x64.nsh"

;--------------------------------------------------------------------------------------------------
; Modern UI pages

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_UNABORTWARNING
!define MUI_COMPONENTSPAGE_SMALLDESC    ; description under a full-width list: long names stay readable

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_COMPONENTS
!define MUI_PAGE_CUSTOMFUNCTION_LEAVE DirectoryPageLeave
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!define MUI_FINISHPAGE_RUN "$INSTDIR\${APP_EXE}"
!insertmacro MUI_PAGE_FINISH

!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

; The first language is the fallback; otherwise the Windows display language picks.
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "SimpChinese"

;--------------------------------------------------------------------------------------------------
; Our own texts

LangString SEC_APP_NAME ${LANG_ENGLISH} "Wenku (required)"
LangString SEC_APP_NAME ${LANG_SIMPCHINESE} "文库 Wenku（必需）"
LangString SEC_APP_DESC ${LANG_ENGLISH} "The Wenku program, a Start menu shortcut and an $\"Open with$\" entry for PDF files. Your default PDF viewer is not changed."
LangString SEC_APP_DESC ${LANG_SIMPCHINESE} "文库程序、开始菜单快捷方式，以及 PDF 文件的“打开方式”菜单项。不会更改您默认的 PDF 阅读器。"
LangString SEC_DESKTOP_NAME ${LANG_ENGLISH} "Desktop shortcut"
LangString SEC_DESKTOP_NAME ${LANG_SIMPCHINESE} "桌面快捷方式"
LangString SEC_DESKTOP_DESC ${LANG_ENGLISH} "Put a Wenku shortcut on the desktop."
LangString SEC_DESKTOP_DESC ${LANG_SIMPCHINESE} "在桌面上创建文库的快捷方式。"

LangString UNSEC_APP_NAME ${LANG_ENGLISH} "Program files and shortcuts"
LangString UNSEC_APP_NAME ${LANG_SIMPCHINESE} "程序文件和快捷方式"
LangString UNSEC_APP_DESC ${LANG_ENGLISH} "Removes the program, its shortcuts and its registry entries."
LangString UNSEC_APP_DESC ${LANG_SIMPCHINESE} "删除程序、快捷方式及其注册表项。"
LangString UNSEC_DATA_NAME ${LANG_ENGLISH} "Also remove my workspaces and models"
LangString UNSEC_DATA_NAME ${LANG_SIMPCHINESE} "同时删除我的工作区和模型"
LangString UNSEC_DATA_DESC ${LANG_ENGLISH} "Deletes ${DATA_DIR}: all workspaces, documents, chats, settings and models. This cannot be undone."
LangString UNSEC_DATA_DESC ${LANG_SIMPCHINESE} "删除 ${DATA_DIR}：全部工作区、文档、对话、设置和模型，且无法恢复。"

LangString MSG_RUNNING ${LANG_ENGLISH} "Wenku is running. Please close all Wenku windows (and any wenku.exe command), then click Retry."
LangString MSG_RUNNING ${LANG_SIMPCHINESE} "文库正在运行。请关闭所有文库窗口（以及正在运行的 wenku.exe 命令），然后点击“重试”。"
LangString MSG_UNSUPPORTED ${LANG_ENGLISH} "Wenku needs 64-bit Windows 10 or later."
LangString MSG_UNSUPPORTED ${LANG_SIMPCHINESE} "文库需要 64 位 Windows 10 或更高版本。"
LangString MSG_DIR_IS_DATA ${LANG_ENGLISH} "This folder holds your Wenku data (${DATA_DIR}). Please install the program into another folder."
LangString MSG_DIR_IS_DATA ${LANG_SIMPCHINESE} "此文件夹存放您的文库数据（${DATA_DIR}）。请将程序安装到其他文件夹。"
LangString MSG_DIR_NOT_EMPTY ${LANG_ENGLISH} "The folder is not empty and holds no earlier Wenku installation. Please choose a new or empty folder."
LangString MSG_DIR_NOT_EMPTY ${LANG_SIMPCHINESE} "此文件夹不是空的，也不包含以前安装的文库。请选择一个新的或空的文件夹。"

LangString DETAIL_OLD ${LANG_ENGLISH} "Removing the previous version (your data is kept):"
LangString DETAIL_OLD ${LANG_SIMPCHINESE} "正在删除旧版本（保留您的数据）："
LangString DETAIL_OLD_FAILED ${LANG_ENGLISH} "The previous uninstaller reported an error; installing over it. Exit code:"
LangString DETAIL_OLD_FAILED ${LANG_SIMPCHINESE} "旧版本的卸载程序报告错误，将直接覆盖安装。退出代码："
LangString DETAIL_DATA_KEPT ${LANG_ENGLISH} "Your workspaces and models were kept in:"
LangString DETAIL_DATA_KEPT ${LANG_SIMPCHINESE} "您的工作区和模型已保留在："
LangString DETAIL_DATA_REMOVED ${LANG_ENGLISH} "Removed your workspaces and models:"
LangString DETAIL_DATA_REMOVED ${LANG_SIMPCHINESE} "已删除您的工作区和模型："

LangString PDF_TYPE_NAME ${LANG_ENGLISH} "PDF document (Wenku)"
LangString PDF_TYPE_NAME ${LANG_SIMPCHINESE} "PDF 文档（文库）"

;--------------------------------------------------------------------------------------------------
; "Is Wenku running?" — needed by both the installer and the uninstaller, so defined twice through
; a macro (uninstaller functions must carry the "un." prefix).
;
; tasklist prints one CSV line per matching process ("wenku.exe","1234",...) and otherwise a
; localized "INFO: ..." line without the image name, so finding the quoted image name in its output
; means the program runs. Looking for windows instead (FindWindow) is unreliable with Qt; a process
; check also catches the console CLI, which holds the same files open.

!macro WENKU_RUNNING_FUNCTIONS UN

; In: image name on the stack. Out: 1 on the stack if such a process runs, else 0.
Function ${UN}ProcessRunning
  Exch $0            ; image name
  Push $1
  Push $2
  Push $3
  Push $4
  Push $5
  StrCpy $3 0
  nsExec::ExecToStack '"${TASKLIST}" /NH /FO CSV /FI "IMAGENAME eq $0"'
  Pop $1             ; exit code, or "error" if tasklist could not run (then: assume not running)
  Pop $2             ; output
  ${If} $1 == 0
    StrCpy $0 '"$0"'
    StrLen $4 $0
    StrCpy $1 0      ; offset into the output
    ${Do}
      StrCpy $5 $2 $4 $1
      ${If} $5 == ""
        ${Break}     ; past the end
      ${EndIf}
      ${If} $5 == $0 ; StrCmp is case-insensitive, as Windows image names are
        StrCpy $3 1
        ${Break}
      ${EndIf}
      IntOp $1 $1 + 1
    ${Loop}
  ${EndIf}
  StrCpy $0 $3
  Pop $5
  Pop $4
  Pop $3
  Pop $2
  Pop $1
  Exch $0
FunctionEnd

; Asks the user to close Wenku for as long as it runs. Cancel quits setup (or the uninstaller);
; in silent mode the answer is Cancel at once, so a scripted run fails instead of hanging.
Function ${UN}WaitUntilWenkuClosed
  Push $0
  ${Do}
    Push "${APP_EXE}"
    Call ${UN}ProcessRunning
    Pop $0
    ${If} $0 == 0
      Push "${CLI_EXE}"
      Call ${UN}ProcessRunning
      Pop $0
    ${EndIf}
    ${If} $0 == 0
      ${Break}
    ${EndIf}
    MessageBox MB_RETRYCANCEL|MB_ICONEXCLAMATION "$(MSG_RUNNING)" /SD IDCANCEL IDRETRY retry
    Pop $0
    Abort
    retry:
  ${Loop}
  Pop $0
FunctionEnd

!macroend

!insertmacro WENKU_RUNNING_FUNCTIONS ""
!insertmacro WENKU_RUNNING_FUNCTIONS "un."

;--------------------------------------------------------------------------------------------------
; Installer helpers

Function .onInit
  SetRegView 64
  ${IfNot} ${RunningX64}
  ${OrIfNot} ${AtLeastWin10}
    MessageBox MB_OK|MB_ICONSTOP "$(MSG_UNSUPPORTED)" /SD IDOK
    Abort
  ${EndIf}
  Call WaitUntilWenkuClosed
FunctionEnd

; The uninstaller deletes the install folder recursively, so only a new or empty folder, or one
; holding an earlier Wenku, may be the install folder — and never the data folder (or inside it).
; Out: "" on the stack if $INSTDIR is fine, else the message to show.
Function CheckInstallDir
  Push $0
  Push $1
  Push $2
  StrCpy $2 ""
  ; Is $INSTDIR the data folder or inside it? (compare the first len(DATA_DIR) characters, then
  ; make sure the match ends at a path separator)
  StrLen $0 "${DATA_DIR}"
  StrCpy $1 "$INSTDIR" $0
  ${If} $1 == "${DATA_DIR}"
    StrCpy $1 "$INSTDIR" 1 $0
    ${If} $1 == ""
    ${OrIf} $1 == "\"
      StrCpy $2 "$(MSG_DIR_IS_DATA)"
    ${EndIf}
  ${EndIf}
  ; Is it a folder with someone else's files in it?
  ${If} $2 == ""
  ${AndIf} ${FileExists} "$INSTDIR\*.*"
  ${AndIfNot} ${FileExists} "$INSTDIR\${APP_EXE}"
  ${AndIfNot} ${FileExists} "$INSTDIR\${UNINSTALLER}"
    FindFirst $0 $1 "$INSTDIR\*.*"
    ${DoWhile} $1 != ""
      ${If} $1 != "."
      ${AndIf} $1 != ".."
        StrCpy $2 "$(MSG_DIR_NOT_EMPTY)"
        ${Break}
      ${EndIf}
      FindNext $0 $1
    ${Loop}
    FindClose $0
  ${EndIf}
  StrCpy $0 $2
  Pop $2
  Pop $1
  Exch $0
FunctionEnd

Function DirectoryPageLeave
  Push $0
  Call CheckInstallDir
  Pop $0
  ${If} $0 != ""
    MessageBox MB_OK|MB_ICONEXCLAMATION "$0"
    Pop $0
    Abort            ; stay on the directory page
  ${EndIf}
  Pop $0
FunctionEnd

; In: a folder on the stack. If it holds a Wenku uninstaller, run it silently in place and wait.
; Without /REMOVEDATA it keeps the user's data. "_?=" makes the uninstaller run from that folder
; instead of a temporary copy, so ExecWait really waits; it cannot delete itself then, so we do.
Function RemoveInstallAt
  Exch $0
  Push $1
  ${If} $0 != ""
  ${AndIf} ${FileExists} "$0\${UNINSTALLER}"
    DetailPrint "$(DETAIL_OLD) $0"
    ClearErrors
    ExecWait '"$0\${UNINSTALLER}" /S _?=$0' $1
    ${If} ${Errors}
    ${OrIf} $1 != 0
      DetailPrint "$(DETAIL_OLD_FAILED) $1"
    ${EndIf}
    Delete "$0\${UNINSTALLER}"
    RMDir "$0"
  ${EndIf}
  Pop $1
  Pop $0
FunctionEnd

;--------------------------------------------------------------------------------------------------
; Installer sections

Section "$(SEC_APP_NAME)" SEC_APP
  SectionIn RO

  ; Silent installs skip the directory page, so check the folder here as well.
  Call CheckInstallDir
  Pop $0
  ${If} $0 != ""
    MessageBox MB_OK|MB_ICONSTOP "$0" /SD IDOK
    Abort
  ${EndIf}
  ; The user may have started Wenku while clicking through the pages.
  Call WaitUntilWenkuClosed

  ; Upgrade: remove the registered earlier install, and one in the chosen folder if different.
  ReadRegStr $1 HKCU "${UNINST_KEY}" "InstallLocation"
  Push $1
  Call RemoveInstallAt
  ${If} $1 != $INSTDIR
    Push $INSTDIR
    Call RemoveInstallAt
  ${EndIf}

  SetOutPath "$INSTDIR"
  File /r "${SRCDIR}\*"
  File "/oname=wenku.ico" "${ICON}"
  WriteUninstaller "$INSTDIR\${UNINSTALLER}"

  CreateShortcut "$SMPROGRAMS\${SHORTCUT}" "$INSTDIR\${APP_EXE}" "" "$INSTDIR\wenku.ico" 0

  ; "Open with" for PDFs. The program entry lists Wenku for .pdf files; the ProgID added to
  ; .pdf\OpenWithProgids offers it in the "Open with" menu. The default PDF handler stays as it is.
  WriteRegStr HKCU "${APP_KEY}" "FriendlyAppName" "${APP_NAME}"
  WriteRegStr HKCU "${APP_KEY}\DefaultIcon" "" "$INSTDIR\wenku.ico"
  WriteRegStr HKCU "${APP_KEY}\shell\open\command" "" '"$INSTDIR\${APP_EXE}" "%1"'
  WriteRegStr HKCU "${APP_KEY}\SupportedTypes" ".pdf" ""
  WriteRegStr HKCU "${PROGID_KEY}" "" "$(PDF_TYPE_NAME)"
  WriteRegStr HKCU "${PROGID_KEY}\DefaultIcon" "" "$INSTDIR\wenku.ico"
  WriteRegStr HKCU "${PROGID_KEY}\shell\open\command" "" '"$INSTDIR\${APP_EXE}" "%1"'
  WriteRegNone HKCU "${PDF_OPENWITH_KEY}" "${PROGID}"
  ${NOTIFY_ASSOC_CHANGED}

  ; Add/Remove Programs ("Apps & features").
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${PRODUCT_NAME}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\wenku.ico"
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\${UNINSTALLER}"'
  WriteRegStr HKCU "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\${UNINSTALLER}" /S'
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2    ; $0 = size of the install folder in KiB
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKCU "${UNINST_KEY}" "EstimatedSize" "$0"
SectionEnd

Section "$(SEC_DESKTOP_NAME)" SEC_DESKTOP
  CreateShortcut "$DESKTOP\${SHORTCUT}" "$INSTDIR\${APP_EXE}" "" "$INSTDIR\wenku.ico" 0
SectionEnd

!insertmacro MUI_FUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${SEC_APP} "$(SEC_APP_DESC)"
  !insertmacro MUI_DESCRIPTION_TEXT ${SEC_DESKTOP} "$(SEC_DESKTOP_DESC)"
!insertmacro MUI_FUNCTION_DESCRIPTION_END

;--------------------------------------------------------------------------------------------------
; Uninstaller sections

Section "un.$(UNSEC_APP_NAME)" UNSEC_APP
  SectionIn RO

  Delete "$SMPROGRAMS\${SHORTCUT}"
  Delete "$DESKTOP\${SHORTCUT}"

  DeleteRegKey HKCU "${APP_KEY}"
  DeleteRegKey HKCU "${PROGID_KEY}"
  DeleteRegValue HKCU "${PDF_OPENWITH_KEY}" "${PROGID}"
  ; Drop the .pdf keys only if nothing else lives in them (another program may use them).
  DeleteRegKey /ifempty /ifnovalues HKCU "${PDF_OPENWITH_KEY}"
  DeleteRegKey /ifempty /ifnovalues HKCU "Software\Classes\.pdf"
  ${NOTIFY_ASSOC_CHANGED}

  ; The installer only ever installs into a new, empty or earlier-Wenku folder that is not the
  ; data folder, so removing it whole is safe. Guard once more against the data folder anyway.
  ${If} "$INSTDIR" != "${DATA_DIR}"
    RMDir /r "$INSTDIR"
  ${EndIf}

  DeleteRegKey HKCU "${UNINST_KEY}"
SectionEnd

; Only the default data folder: one the user picked in Preferences may hold other files too, so it stays.
Section /o "un.$(UNSEC_DATA_NAME)" UNSEC_DATA
  RMDir /r "${DATA_DIR}"
  DetailPrint "$(DETAIL_DATA_REMOVED) ${DATA_DIR}"
SectionEnd

Section "-un.Summary"
  ${IfNot} ${SectionIsSelected} ${UNSEC_DATA}
  ${AndIf} ${FileExists} "${DATA_DIR}\*.*"
    DetailPrint "$(DETAIL_DATA_KEPT) ${DATA_DIR}"
  ${EndIf}
SectionEnd

!insertmacro MUI_UNFUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${UNSEC_APP} "$(UNSEC_APP_DESC)"
  !insertmacro MUI_DESCRIPTION_TEXT ${UNSEC_DATA} "$(UNSEC_DATA_DESC)"
!insertmacro MUI_UNFUNCTION_DESCRIPTION_END

Function un.onInit
  SetRegView 64
  ; /REMOVEDATA on the command line ticks "Also remove my workspaces and models" (for /S).
  ${GetParameters} $0
  ClearErrors
  ${GetOptions} $0 "/REMOVEDATA" $1
  ${IfNot} ${Errors}
    !insertmacro SelectSection ${UNSEC_DATA}
  ${EndIf}
  Call un.WaitUntilWenkuClosed
FunctionEnd
