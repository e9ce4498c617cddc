<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>ChatView</name>
    <message>
        <source>Questions</source>
        <translation>提问</translation>
    </message>
    <message>
        <source>New conversation</source>
        <translation>新对话</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy the conversation as Markdown</source>
        <translation>以 Markdown 复制对话</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Export the conversation as Markdown</source>
        <translation>将对话导出为 Markdown</translation>
    </message>
    <message>
        <source>Ask a question about your documents (Enter sends, Shift+Enter for a new line)</source>
        <translation>就您的文档提问（Enter 发送，Shift+Enter 换行）</translation>
    </message>
    <message>
        <source>Question</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>Ask</source>
        <translation>提问</translation>
    </message>
    <message>
        <source>Ask the question</source>
        <translation>提交问题</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stop the answer</source>
        <translation>停止回答</translation>
    </message>
    <message>
        <source>Stop the answer (Esc)</source>
        <translation>停止回答（Esc）</translation>
    </message>
    <message>
        <source>Answers come only from the documents of this workspace, with their sources.</source>
        <translation>回答只来自本工作区的文档，并注明出处。</translation>
    </message>
    <message>
        <source>Earlier conversations</source>
        <translation>以前的对话</translation>
    </message>
</context>
<context>
    <name>CrashReport</name>
    <message>
        <source>Wenku</source>
        <translation>文库</translation>
    </message>
    <message>
        <source>Wenku stopped unexpectedly last time. The report below can help fix it; nothing was sent anywhere.</source>
        <translation>文库上次意外退出。下面的报告有助于修复问题；没有任何内容被发送出去。</translation>
    </message>
    <message>
        <source>Copy details</source>
        <translation>复制详细信息</translation>
    </message>
</context>
<context>
    <name>Device</name>
    <message>
        <source>no CUDA in this llama.cpp build</source>
        <translation>此 llama.cpp 版本不含 CUDA</translation>
    </message>
    <message>
        <source>no GPU found</source>
        <translation>未找到 GPU</translation>
    </message>
    <message>
        <source>CUDA failed to start</source>
        <translation>CUDA 启动失败</translation>
    </message>
    <message>
        <source>free video memory unknown</source>
        <translation>可用显存未知</translation>
    </message>
    <message>
        <source>not enough free video memory</source>
        <translation>可用显存不足</translation>
    </message>
    <message>
        <source>the model file&apos;s header cannot be read</source>
        <translation>无法读取模型文件头</translation>
    </message>
    <message>
        <source>set in Preferences</source>
        <translation>已在偏好设置中指定</translation>
    </message>
    <message>
        <source>server %1</source>
        <translation>服务器 %1</translation>
    </message>
    <message>
        <source>GPU (CUDA) %1/%2 layers</source>
        <translation>GPU（CUDA）%1/%2 层</translation>
    </message>
    <message>
        <source>CPU (CUDA unavailable: %1)</source>
        <translation>CPU（CUDA 不可用：%1）</translation>
    </message>
    <message>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <source>Video memory: %1 MiB free of %2 MiB (%3), before loading the model</source>
        <translation>显存：%3 共 %2 MiB，加载模型前可用 %1 MiB</translation>
    </message>
    <message>
        <source>No GPU video memory found.</source>
        <translation>未找到 GPU 显存。</translation>
    </message>
    <message>
        <source>Layers on the GPU: %1 of %2</source>
        <translation>GPU 上的层数：%1 / %2</translation>
    </message>
    <message>
        <source>Not every layer fits in the free video memory; the rest run on the CPU.</source>
        <translation>可用显存放不下全部层，其余层在 CPU 上运行。</translation>
    </message>
    <message>
        <source>The number of GPU layers is set in Preferences.</source>
        <translation>GPU 层数已在偏好设置中指定。</translation>
    </message>
    <message>
        <source>This build of llama.cpp has no CUDA support; install the CUDA build to use the GPU.</source>
        <translation>此 llama.cpp 版本不支持 CUDA；要使用 GPU，请安装 CUDA 版本。</translation>
    </message>
    <message>
        <source>CUDA failed to start, so the model runs on the CPU: %1</source>
        <translation>CUDA 启动失败，模型改在 CPU 上运行：%1</translation>
    </message>
    <message>
        <source>Answers are generated by %1 on the server %2.</source>
        <translation>回答由服务器 %2 上的 %1 生成。</translation>
    </message>
    <message>
        <source>the chat model</source>
        <translation>对话模型</translation>
    </message>
    <message>
        <source>Your questions and the passages found in your documents are sent there.</source>
        <translation>您的问题以及从您的文档中找到的段落会被发送到那里。</translation>
    </message>
    <message>
        <source>The connection is not encrypted (http).</source>
        <translation>连接未加密（http）。</translation>
    </message>
</context>
<context>
    <name>Errors</name>
    <message>
        <source>That workspace name cannot be used. Avoid slashes, colons and names starting with a dot.</source>
        <translation>不能使用这个工作区名称。请避免斜杠、冒号以及以点开头的名称。</translation>
    </message>
    <message>
        <source>This workspace no longer exists.</source>
        <translation>这个工作区已不存在。</translation>
    </message>
    <message>
        <source>A workspace with that name already exists.</source>
        <translation>已有同名的工作区。</translation>
    </message>
    <message>
        <source>This workspace is open in another Wenku window or command. Close it there first.</source>
        <translation>这个工作区正在另一个文库窗口或命令中打开，请先在那里关闭它。</translation>
    </message>
    <message>
        <source>This workspace was indexed with another embedding model or a newer Wenku. Import its documents into a new workspace.</source>
        <translation>这个工作区是用另一个嵌入模型或更新版本的文库建立索引的。请把它的文档导入一个新的工作区。</translation>
    </message>
    <message>
        <source>The file could not be found or read.</source>
        <translation>找不到或无法读取该文件。</translation>
    </message>
    <message>
        <source>The file is empty.</source>
        <translation>该文件是空的。</translation>
    </message>
    <message>
        <source>The file is not a PDF.</source>
        <translation>该文件不是 PDF。</translation>
    </message>
    <message>
        <source>The PDF is damaged and cannot be read.</source>
        <translation>该 PDF 已损坏，无法读取。</translation>
    </message>
    <message>
        <source>The PDF is protected by a password.</source>
        <translation>该 PDF 受密码保护。</translation>
    </message>
    <message>
        <source>No text could be found in the document, not even by OCR.</source>
        <translation>文档中找不到任何文字，文字识别（OCR）也没有结果。</translation>
    </message>
    <message>
        <source>The chat model is not installed. Install Wenku&apos;s models or choose a GGUF file in Preferences.</source>
        <translation>对话模型尚未安装。请安装文库的模型，或在“首选项”中选择一个 GGUF 文件。</translation>
    </message>
    <message>
        <source>The chat model file is damaged or cannot be loaded. Choose another model in Preferences.</source>
        <translation>对话模型文件已损坏或无法加载。请在“首选项”中选择其他模型。</translation>
    </message>
    <message>
        <source>A component Wenku needs is not installed.</source>
        <translation>文库需要的某个组件没有安装。</translation>
    </message>
    <message>
        <source>The disk is full. Free some space and try again.</source>
        <translation>磁盘已满。请释放一些空间后重试。</translation>
    </message>
    <message>
        <source>The search index could not be read or written.</source>
        <translation>无法读取或写入搜索索引。</translation>
    </message>
    <message>
        <source>The original PDF was moved or deleted, so its page cannot be shown.</source>
        <translation>原始 PDF 已被移动或删除，无法显示该页。</translation>
    </message>
    <message>
        <source>The file is not a GGUF chat model.</source>
        <translation>该文件不是 GGUF 对话模型。</translation>
    </message>
    <message>
        <source>The chat server cannot be reached. Check that it is running and its address in Preferences.</source>
        <translation>无法连接对话服务器。请确认它正在运行，并检查“首选项”中的地址。</translation>
    </message>
    <message>
        <source>The chat server did not answer in time. It may be busy or too slow.</source>
        <translation>对话服务器没有及时回答，它可能太忙或太慢。</translation>
    </message>
    <message>
        <source>The chat server refused the API key. Check the key in Preferences.</source>
        <translation>对话服务器拒绝了 API 密钥。请检查“首选项”中的密钥。</translation>
    </message>
    <message>
        <source>The chat server does not have that model, or the address is not an OpenAI-compatible API. Check the model name and address in Preferences.</source>
        <translation>对话服务器没有该模型，或该地址不是兼容 OpenAI 的接口。请检查“首选项”中的模型名称和地址。</translation>
    </message>
    <message>
        <source>The chat server reported an error. The details say what it answered.</source>
        <translation>对话服务器报告了错误，详细信息中有它的回复。</translation>
    </message>
    <message>
        <source>The chat server sent a reply Wenku does not understand. Check that the address is an OpenAI-compatible API.</source>
        <translation>对话服务器发来了文库无法理解的回复。请确认该地址是兼容 OpenAI 的接口。</translation>
    </message>
    <message>
        <source>The chat server failed.</source>
        <translation>对话服务器出错。</translation>
    </message>
    <message>
        <source>Something went wrong.</source>
        <translation>出现了问题。</translation>
    </message>
    <message>
        <source>Wenku</source>
        <translation>文库</translation>
    </message>
    <message>
        <source>Copy details</source>
        <translation>复制详细信息</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>错误</translation>
    </message>
</context>
<context>
    <name>ImportPanel</name>
    <message>
        <source>Documents</source>
        <translation>文档</translation>
    </message>
    <message>
        <source>Add documents…</source>
        <translation>添加文档…</translation>
    </message>
    <message>
        <source>Add documents</source>
        <translation>添加文档</translation>
    </message>
    <message>
        <source>Add folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <source>Add a folder of documents</source>
        <translation>添加一个文档文件夹</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <source>Remove the selected documents</source>
        <translation>移除所选文档</translation>
    </message>
    <message>
        <source>Re-import</source>
        <translation>重新导入</translation>
    </message>
    <message>
        <source>Import the selected documents again</source>
        <translation>重新导入所选文档</translation>
    </message>
    <message>
        <source>Document</source>
        <translation>文档</translation>
    </message>
    <message>
        <source>Pages</source>
        <translation>页数</translation>
    </message>
    <message>
        <source>OCR&apos;d pages</source>
        <translation>OCR 页数</translation>
    </message>
    <message>
        <source>Passages</source>
        <translation>段落数</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Documents in this workspace</source>
        <translation>本工作区的文档</translation>
    </message>
    <message>
        <source>Drop PDF files or folders anywhere on this window to import them.</source>
        <translation>把 PDF 文件或文件夹拖到本窗口任意位置即可导入。</translation>
    </message>
    <message>
        <source>Searchable by keyword; indexing by meaning continues with the next import</source>
        <translation>已可按关键词搜索；按语义建立索引将在下次导入时继续</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <source>Searchable by keyword; indexing by meaning…</source>
        <translation>已可按关键词搜索；正在按语义建立索引…</translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation>失败：%1</translation>
    </message>
    <message>
        <source>PDF documents (*.pdf)</source>
        <translation>PDF 文档 (*.pdf)</translation>
    </message>
</context>
<context>
    <name>ImportProgressView</name>
    <message>
        <source>Cancelling… documents already imported are kept.</source>
        <translation>正在取消…已导入的文档会保留。</translation>
    </message>
    <message>
        <source>reading text</source>
        <translation>读取文字</translation>
    </message>
    <message>
        <source>recognising text (OCR)</source>
        <translation>识别文字（OCR）</translation>
    </message>
    <message>
        <source>indexing by meaning</source>
        <translation>按语义建立索引</translation>
    </message>
    <message>
        <source>saving</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>finishing</source>
        <translation>收尾</translation>
    </message>
    <message>
        <source>Preparing the import…</source>
        <translation>正在准备导入…</translation>
    </message>
    <message>
        <source>Indexing by meaning: %1 of %2 passages (documents are already searchable by keyword)</source>
        <translation>按语义建立索引：第 %1 / %2 段（文档已可按关键词搜索）</translation>
    </message>
    <message>
        <source>File %1 of %2: %3 — page %4 of %5, %6</source>
        <translation>第 %1 / %2 个文件：%3 — 第 %4 / %5 页，%6</translation>
    </message>
    <message>
        <source>about %1 left</source>
        <translation>约剩 %1</translation>
    </message>
    <message>
        <source>Cancel import</source>
        <translation>取消导入</translation>
    </message>
    <message>
        <source>Import progress</source>
        <translation>导入进度</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Wenku — answers from your documents</source>
        <extracomment>The banner&apos;s background (tests look for it in the window&apos;s pixels).</extracomment>
        <translation>文库 — 从您的文档中找答案</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>Add documents…</source>
        <translation>添加文档…</translation>
    </message>
    <message>
        <source>Add a folder…</source>
        <translation>添加文件夹…</translation>
    </message>
    <message>
        <source>New workspace…</source>
        <translation>新建工作区…</translation>
    </message>
    <message>
        <source>Export conversation as Markdown…</source>
        <translation>将对话导出为 Markdown…</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <source>New conversation</source>
        <translation>新对话</translation>
    </message>
    <message>
        <source>Preferences…</source>
        <translation>首选项…</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>About Wenku</source>
        <translation>关于文库</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>Chat model: not loaded</source>
        <translation>对话模型：未加载</translation>
    </message>
    <message>
        <source>Chat model: loading…</source>
        <translation>对话模型：加载中…</translation>
    </message>
    <message>
        <source>Chat model: ready</source>
        <translation>对话模型：就绪</translation>
    </message>
    <message>
        <source>Chat model: failed to load</source>
        <translation>对话模型：加载失败</translation>
    </message>
    <message>
        <source>Device: %1</source>
        <translation>设备：%1</translation>
    </message>
    <message>
        <source>Workspace size: %1</source>
        <translation>工作区大小：%1</translation>
    </message>
    <message>
        <source>Answers are generated on %1 — your questions and the passages found in your documents leave this machine.</source>
        <translation>回答在 %1 上生成——您的问题以及从您的文档中找到的段落会离开本机。</translation>
    </message>
    <message>
        <source>Answers from %1</source>
        <translation>回答来自 %1</translation>
    </message>
    <message>
        <source>Wait until the import or answer in this workspace has finished.</source>
        <translation>请等待本工作区的导入或回答结束。</translation>
    </message>
    <message>
        <source>Building the search index…</source>
        <translation>正在建立搜索索引…</translation>
    </message>
    <message>
        <source>A big import is being indexed for fast search (HNSW) in the background. Searches and questions work meanwhile.</source>
        <translation>大批导入的内容正在后台建立快速搜索索引（HNSW），期间搜索和提问照常可用。</translation>
    </message>
    <message>
        <source>My documents</source>
        <translation>我的文档</translation>
    </message>
    <message>
        <source>Importing into %1: %2</source>
        <translation>正在导入到 %1：%2</translation>
    </message>
    <message>
        <source>Create or choose a workspace first.</source>
        <translation>请先新建或选择一个工作区。</translation>
    </message>
    <message>
        <source>Import finished: %1 added, %2 unchanged, %3 failed.</source>
        <translation>导入完成：新增 %1 个，未变 %2 个，失败 %3 个。</translation>
    </message>
    <message>
        <source>Import cancelled: %1 added, %2 unchanged, %3 failed. Finished documents are kept.</source>
        <translation>导入已取消：新增 %1 个，未变 %2 个，失败 %3 个。已完成的文档会保留。</translation>
    </message>
    <message>
        <source>Wenku is still starting; ask again in a moment.</source>
        <translation>文库仍在启动，请稍后再问。</translation>
    </message>
    <message>
        <source>Loading the chat model; the first answer takes longer.</source>
        <translation>正在加载对话模型，第一次回答会慢一些。</translation>
    </message>
    <message>
        <source>Checking the answer against the passages…</source>
        <translation>正在对照段落核对回答…</translation>
    </message>
    <message>
        <source>Stopping…</source>
        <translation>正在停止…</translation>
    </message>
    <message>
        <source>Conversation</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>Question</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>Answer</source>
        <translation>回答</translation>
    </message>
    <message>
        <source>Sources</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>page %1</source>
        <translation>第 %1 页</translation>
    </message>
    <message>
        <source>The conversation was copied as Markdown.</source>
        <translation>对话已以 Markdown 格式复制。</translation>
    </message>
    <message>
        <source>Export conversation</source>
        <translation>导出对话</translation>
    </message>
    <message>
        <source>Markdown (*.md)</source>
        <translation>Markdown (*.md)</translation>
    </message>
    <message>
        <source>Wenku answers questions from your own PDF documents, offline, with page citations.
Licence: AGPL-3.0-or-later.</source>
        <translation>文库离线地根据您自己的 PDF 文档回答问题，并注明页码出处。
许可证：AGPL-3.0-or-later。</translation>
    </message>
</context>
<context>
    <name>NewWorkspaceDialog</name>
    <message>
        <source>Workspace name</source>
        <translation>工作区名称</translation>
    </message>
    <message>
        <source>Document language</source>
        <translation>文档语言</translation>
    </message>
    <message>
        <source>Rename workspace</source>
        <translation>重命名工作区</translation>
    </message>
    <message>
        <source>New workspace</source>
        <translation>新建工作区</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <source>Language of the documents:</source>
        <translation>文档的语言：</translation>
    </message>
    <message>
        <source>Mixed</source>
        <translation>混合</translation>
    </message>
</context>
<context>
    <name>PreferencesDialog</name>
    <message>
        <source>Preferences</source>
        <translation>首选项</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Chat model</source>
        <translation>对话模型</translation>
    </message>
    <message>
        <source>This workspace: %1</source>
        <translation>当前工作区：%1</translation>
    </message>
    <message>
        <source>Data</source>
        <translation>数据</translation>
    </message>
    <message>
        <source>Chat model on a server</source>
        <translation>服务器上的对话模型</translation>
    </message>
    <message>
        <source>Off by default. When on, answers are generated by an OpenAI-compatible server (llama.cpp, vLLM, Ollama) instead of the model on this computer: your questions, the conversation and the passages found in your documents are sent to it. The key is kept in %1, readable only by you.</source>
        <translation>默认关闭。开启后，回答由兼容 OpenAI 的服务器（llama.cpp、vLLM、Ollama）生成，而不是本机上的模型：您的问题、对话内容以及从您的文档中找到的段落都会发送给它。密钥保存在 %1，只有您自己可以读取。</translation>
    </message>
    <message>
        <source>Test connection</source>
        <translation>测试连接</translation>
    </message>
    <message>
        <source>Ask the server</source>
        <translation>询问服务器</translation>
    </message>
    <message>
        <source>Interface language:</source>
        <translation>界面语言：</translation>
    </message>
    <message>
        <source>Answer language:</source>
        <translation>回答语言：</translation>
    </message>
    <message>
        <source>Model:</source>
        <translation>模型：</translation>
    </message>
    <message>
        <source>Details:</source>
        <translation>详情：</translation>
    </message>
    <message>
        <source>GPU offload:</source>
        <translation>GPU 加速：</translation>
    </message>
    <message>
        <source>GPU layers:</source>
        <translation>GPU 层数：</translation>
    </message>
    <message>
        <source>Running on:</source>
        <translation>运行位置：</translation>
    </message>
    <message>
        <source>CPU threads:</source>
        <translation>CPU 线程数：</translation>
    </message>
    <message>
        <source>Context size (tokens):</source>
        <translation>上下文长度（词元）：</translation>
    </message>
    <message>
        <source>Mask personal data:</source>
        <translation>隐藏个人信息：</translation>
    </message>
    <message>
        <source>Data folder:</source>
        <translation>数据文件夹：</translation>
    </message>
    <message>
        <source>Server address:</source>
        <translation>服务器地址：</translation>
    </message>
    <message>
        <source>Model name:</source>
        <translation>模型名称：</translation>
    </message>
    <message>
        <source>API key:</source>
        <translation>API 密钥：</translation>
    </message>
    <message>
        <source>Follow the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Same as the question</source>
        <translation>与问题相同</translation>
    </message>
    <message>
        <source>Default: Qwen2.5-Coder 1.5B Instruct (Q4_K_M)</source>
        <translation>默认：Qwen2.5-Coder 1.5B Instruct（Q4_K_M）</translation>
    </message>
    <message>
        <source>Import GGUF…</source>
        <translation>导入 GGUF…</translation>
    </message>
    <message>
        <source>Automatic (as many layers as fit in free video memory)</source>
        <translation>自动（可用显存放得下多少层就放多少层）</translation>
    </message>
    <message>
        <source>A number of layers</source>
        <translation>指定层数</translation>
    </message>
    <message>
        <source>Off (CPU only)</source>
        <translation>关闭（仅用 CPU）</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>自动</translation>
    </message>
    <message>
        <source>Replace phone numbers, e-mail addresses and ID numbers when importing</source>
        <translation>导入时替换电话号码、电子邮件地址和证件号码</translation>
    </message>
    <message>
        <source>Saved with this workspace; it applies to documents imported from now on (re-import earlier documents to mask them).</source>
        <translation>此设置随工作区保存，对此后导入的文档生效（如需隐藏已导入文档中的个人信息，请重新导入）。</translation>
    </message>
    <message>
        <source>Choose…</source>
        <translation>选择…</translation>
    </message>
    <message>
        <source>A new data folder is used from the next start.</source>
        <translation>新的数据文件夹将在下次启动时使用。</translation>
    </message>
    <message>
        <source>The chat model is not loaded yet.</source>
        <translation>对话模型尚未加载。</translation>
    </message>
    <message>
        <source>Reading the model file…</source>
        <translation>正在读取模型文件…</translation>
    </message>
    <message>
        <source>%1 · %2 · quantization %3 · context %4 tokens · %5 layers</source>
        <translation>%1 · %2 · 量化 %3 · 上下文 %4 词元 · %5 层</translation>
    </message>
    <message>
        <source>The default model is not installed yet; it is assembled on first use.</source>
        <translation>默认模型尚未安装；首次使用时会自动组装。</translation>
    </message>
    <message>
        <source>Not a usable GGUF model: %1</source>
        <translation>不是可用的 GGUF 模型：%1</translation>
    </message>
    <message>
        <source>Import a chat model</source>
        <translation>导入对话模型</translation>
    </message>
    <message>
        <source>GGUF models (*.gguf)</source>
        <translation>GGUF 模型 (*.gguf)</translation>
    </message>
    <message>
        <source>Data folder</source>
        <translation>数据文件夹</translation>
    </message>
    <message>
        <source>Not a usable address: %1</source>
        <translation>地址不可用：%1</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <source>Connected: model %1 on %2.</source>
        <translation>已连接：%2 上的模型 %1。</translation>
    </message>
    <message>
        <source>The server address is not usable: %1</source>
        <translation>服务器地址不可用：%1</translation>
    </message>
</context>
<context>
    <name>SourceViewer</name>
    <message>
        <source>Previous page</source>
        <translation>上一页</translation>
    </message>
    <message>
        <source>Next page</source>
        <translation>下一页</translation>
    </message>
    <message>
        <source>Page number</source>
        <translation>页码</translation>
    </message>
    <message>
        <source>Zoom in</source>
        <translation>放大</translation>
    </message>
    <message>
        <source>Zoom out</source>
        <translation>缩小</translation>
    </message>
    <message>
        <source>Open in the system&apos;s PDF viewer</source>
        <translation>用系统的 PDF 阅读器打开</translation>
    </message>
    <message>
        <source>Close the source</source>
        <translation>关闭来源</translation>
    </message>
    <message>
        <source>Page image</source>
        <translation>页面图像</translation>
    </message>
    <message>
        <source>of %1</source>
        <translation>/ %1</translation>
    </message>
    <message>
        <source>%1, page %2</source>
        <translation>%1，第 %2 页</translation>
    </message>
    <message>
        <source>The cited passage is on page %1.</source>
        <translation>引用的段落在第 %1 页。</translation>
    </message>
    <message>
        <source>The cited passage is highlighted.</source>
        <translation>引用的段落已高亮显示。</translation>
    </message>
    <message>
        <source>The passage could not be located on the page (a scanned page has no text to search), so nothing is highlighted.</source>
        <translation>无法在页面上定位该段落（扫描页没有可搜索的文字），因此没有高亮。</translation>
    </message>
</context>
<context>
    <name>TurnWidget</name>
    <message>
        <source>Not found in your documents</source>
        <translation>您的文档中没有找到答案</translation>
    </message>
    <message>
        <source>Closest passages:</source>
        <translation>最接近的段落：</translation>
    </message>
    <message>
        <source>Sources:</source>
        <translation>来源：</translation>
    </message>
    <message>
        <source>Copy details</source>
        <translation>复制详细信息</translation>
    </message>
    <message>
        <source>p. %1</source>
        <translation>第 %1 页</translation>
    </message>
    <message>
        <source>Source %1: %2, page %3</source>
        <translation>来源 %1：%2，第 %3 页</translation>
    </message>
    <message>
        <source>Answering…</source>
        <translation>正在回答…</translation>
    </message>
    <message>
        <source>The answer failed.</source>
        <translation>回答失败。</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>已停止。</translation>
    </message>
</context>
<context>
    <name>WorkspacesPanel</name>
    <message>
        <source>Workspaces</source>
        <translation>工作区</translation>
    </message>
    <message>
        <source>New</source>
        <translation>新建</translation>
    </message>
    <message>
        <source>Create a workspace</source>
        <translation>新建一个工作区</translation>
    </message>
    <message>
        <source>New workspace</source>
        <translation>新建工作区</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>重命名</translation>
    </message>
    <message>
        <source>Rename workspace</source>
        <translation>重命名工作区</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Delete workspace</source>
        <translation>删除工作区</translation>
    </message>
    <message>
        <source>Mixed</source>
        <translation>混合</translation>
    </message>
    <message>
        <source>1 document</source>
        <translation>1 个文档</translation>
    </message>
    <message>
        <source>%1 documents</source>
        <translation>%1 个文档</translation>
    </message>
    <message>
        <source>%1 chunks</source>
        <translation>%1 个段落</translation>
    </message>
    <message>
        <source>Delete the workspace “%1” and its index? Your PDF files themselves are not touched.</source>
        <translation>删除工作区“%1”及其索引？您的 PDF 文件本身不会被改动。</translation>
    </message>
</context>
</TS>
