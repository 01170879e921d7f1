;;; scenarios.el --- Emacs dap-mode driving the real adapter through one debugging session  -*- lexical-binding: t -*-

;; Run by tests/test_dap_mode.py (emacs --batch -l scenarios.el). The environment names:
;;   MONADAPTER_PYTHON         a Python 3.12+ with monadapter installed (runs adapter and program)
;;   MONADAPTER_EDITORS_MD     vscode-extension/EDITORS.md: its dap-mode block is evaluated as users
;;                             copy it, and its "current file" template is the one used here
;;   MONADAPTER_SCENARIO_DIR   a scratch directory: the program is written there, dap-mode keeps its
;;                             breakpoints file there
;; Each scenario prints "ok: NAME" when it passes; the first failure prints "FAIL: ..." and exits 1.
;; Everything goes through dap-mode's own commands and requests (dap-breakpoint-add, dap-debug,
;; dap-eval, dap-continue, dap-request, its output buffer and hooks).

(require 'cl-lib)
(require 'dap-mode)

(defconst scenario-dir (file-name-as-directory (getenv "MONADAPTER_SCENARIO_DIR")))
(setq dap-breakpoints-file (expand-file-name "dap-breakpoints" scenario-dir)
      dap-print-io nil
      inhibit-message t)

(defconst scenario-program (expand-file-name "scenario.py" scenario-dir))
(defconst scenario-source "def add(a, b):
    total = a + b  # line 2: breakpoint
    return total  # line 3: a condition that raises


class Box:
    def __init__(self):
        self.items = [1, 2, 3]

    def size(self):
        return len(self.items)


box = Box()
for i in range(2):
    print('sum', add(i, 10))  # line 16: logpoint
print('end of program')
")

(defvar scenario-stopped nil "The session that stopped last (reset before each wait).")
(defvar scenario-terminated nil "Non-nil once the session ended.")
(defvar scenario-evaluated nil "What the last `dap-eval' displayed.")
(defvar scenario-answered-breakpoints nil
  "The breakpoints of the first setBreakpoints answer for the scenario program, as dap-mode got them.")

(defun scenario-fail (format-string &rest args)
  (princ (concat "FAIL: " (apply #'format format-string args) "\n"))
  (kill-emacs 1))

(defun scenario-ok (name)
  (princ (format "ok: %s\n" name)))

(defun scenario-wait (predicate seconds what)
  "Process events until PREDICATE holds; fail naming WHAT after SECONDS."
  (let ((deadline (+ (float-time) seconds)))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.02))
    (or (funcall predicate) (scenario-fail "no %s within %s s" what seconds))))

(defun scenario-expect (what actual expected)
  (unless (equal actual expected)
    (scenario-fail "%s: got %S, expected %S" what actual expected)))

(defun scenario-load-editors-md ()
  "Evaluate the elisp block of EDITORS.md's Emacs section, exactly as users copy it."
  (with-temp-buffer
    (insert-file-contents (getenv "MONADAPTER_EDITORS_MD"))
    (search-forward "## Emacs (dap-mode)")
    (search-forward "```elisp\n")
    (let ((start (point)))
      (search-forward "```")
      (eval-region start (match-beginning 0)))))

(defun scenario-top-frame (session)
  "The innermost frame of SESSION's stopped thread, once dap-mode fetched the stack."
  (scenario-wait (lambda () (dap--debug-session-active-frame session)) 10 "stack trace")
  (dap--debug-session-active-frame session))

(defun scenario-wait-stop (line)
  "Wait for the next stop and check that it is in `add' at LINE; return the session."
  (scenario-wait (lambda () scenario-stopped) 20 (format "stop at line %d" line))
  (let* ((session scenario-stopped)
         (frame (scenario-top-frame session)))
    (scenario-expect "stopped at" (list (gethash "name" frame) (gethash "line" frame)) (list "add" line))
    session))

(defun scenario-continue (session)
  (setq scenario-stopped nil)
  (setf (dap--debug-session-active-frame session) nil)
  (dap-continue session (dap--debug-session-thread-id session)))

(defun scenario-output (session)
  (with-current-buffer (get-buffer-create (dap--debug-session-output-buffer session))
    (buffer-substring-no-properties (point-min) (point-max))))

(defun scenario-run ()
  (scenario-load-editors-md)
  (setq monadapter-python (or (getenv "MONADAPTER_PYTHON") (scenario-fail "MONADAPTER_PYTHON is not set")))
  (add-hook 'dap-stopped-hook (lambda (session) (setq scenario-stopped session)))
  (add-hook 'dap-terminated-hook (lambda (_session) (setq scenario-terminated t)))
  (advice-add 'dap-overlays--display-interactive-eval-result :before
              (lambda (value &rest _) (setq scenario-evaluated value)))
  (advice-add 'dap--update-breakpoints :before
              (lambda (_session response file-name)
                (when (and (null scenario-answered-breakpoints) (equal file-name scenario-program))
                  (setq scenario-answered-breakpoints
                        (mapcar (lambda (breakpoint) (cons (gethash "line" breakpoint) (gethash "verified" breakpoint)))
                                (gethash "breakpoints" (gethash "body" response)))))))
  (with-temp-file scenario-program (insert scenario-source))
  (find-file scenario-program)
  ;; a breakpoint on line 2, a logpoint on line 16, both set with dap-mode's commands
  (goto-char (point-min))
  (forward-line 1)
  (dap-breakpoint-add)
  ;; line 3: a breakpoint whose condition raises
  (forward-line 1)
  (dap-breakpoint-add)
  (cl-letf (((symbol-function 'read-string) (lambda (&rest _) "undefined_name > 1")))
    (call-interactively #'dap-breakpoint-condition))
  (forward-line 13)
  (dap-breakpoint-add)
  (cl-letf (((symbol-function 'read-string) (lambda (&rest _) "logged {i * 100}")))
    (call-interactively #'dap-breakpoint-log-message))
  ;; EDITORS.md's template, for this program
  (let ((conf (copy-tree (cdr (assoc "monadapter :: current file" dap-debug-template-configurations)))))
    (unless conf (scenario-fail "EDITORS.md has no \"monadapter :: current file\" template"))
    (plist-put conf :program scenario-program)
    (plist-put conf :cwd scenario-dir)
    (dap-debug conf))
  (scenario-ok "launch")
  ;; answered before any of the file's code ran: verified at once, not drawn as rejected
  (scenario-wait (lambda () scenario-answered-breakpoints) 20 "the setBreakpoints answer")
  (scenario-expect "breakpoints as first answered"
                   (sort (copy-sequence scenario-answered-breakpoints) (lambda (a b) (< (car a) (car b))))
                   '((2 . t) (3 . t) (16 . t)))
  (scenario-ok "breakpoints verified at once")

  (let ((session (scenario-wait-stop 2)))
    (scenario-ok "breakpoint hit")

    (let ((frames (gethash (dap--debug-session-thread-id session)
                           (dap--debug-session-thread-stack-frames session))))
      (scenario-expect "stack" (mapcar (lambda (frame) (gethash "name" frame)) frames) '("add" "<module>"))
      (scenario-expect "caller line" (gethash "line" (nth 1 frames)) 16))
    (scenario-ok "stack")

    (let* ((frame-id (gethash "id" (scenario-top-frame session)))
           (scopes (gethash "scopes" (dap-request session "scopes" :frameId frame-id)))
           (locals (cl-find "Locals" scopes :key (lambda (scope) (gethash "name" scope)) :test #'equal))
           (variables (gethash "variables" (dap-request session "variables"
                                                       :variablesReference (gethash "variablesReference" locals))))
           (shown (mapcar (lambda (variable) (cons (gethash "name" variable) (gethash "value" variable))) variables)))
      (scenario-expect "locals" (cl-remove-if-not (lambda (pair) (member (car pair) '("a" "b"))) shown)
                       '(("a" . "0") ("b" . "10"))))
    (scenario-ok "variables")

    (setq scenario-evaluated nil)
    (dap-eval "a + b * 2")
    (scenario-wait (lambda () scenario-evaluated) 10 "dap-eval result")
    (scenario-expect "dap-eval a + b * 2" scenario-evaluated "20")
    (scenario-ok "evaluate")

    ;; dap-eval sends context "hover"; EDITORS.md's templates set :hoverRunsCode, so a call answers
    (setq scenario-evaluated nil)
    (dap-eval "box.size()")
    (scenario-wait (lambda () scenario-evaluated) 10 "dap-eval of a call")
    (scenario-expect "dap-eval box.size()" scenario-evaluated "3")
    (scenario-ok "hover evaluate runs a call")

    (scenario-continue session))

  ;; the condition raises: the first time it stops there, and says why in the output buffer
  (let ((session (scenario-wait-stop 3)))
    (scenario-ok "raising condition stops once")
    (scenario-continue session))

  (let ((session (scenario-wait-stop 2)))
    (scenario-ok "second hit")
    (scenario-continue session)
    (scenario-wait (lambda () scenario-terminated) 20 "end of the session")
    (let ((output (scenario-output session)))
      (dolist (expected '("logged 0" "logged 100" "sum 10" "sum 11" "end of program"))
        (unless (string-match-p (regexp-quote expected) output)
          (scenario-fail "output buffer lacks %S:\n%s" expected output)))
      (scenario-ok "logpoint output shown")
      ;; the second iteration only reported the error: no stop, both reports in the output buffer
      (when scenario-stopped
        (scenario-fail "stopped again after the raising condition's first stop"))
      (unless (and (string-match-p "condition at line 3 raised NameError.*stopped there" output)
                   (string-match-p "condition at line 3 raised NameError.*not stopping" output))
        (scenario-fail "output buffer lacks the condition's errors:\n%s" output))))
  (scenario-ok "condition errors shown, one stop")
  (scenario-ok "continue to the end")
  (scenario-terminal))

(defconst scenario-terminal-program (expand-file-name "terminal.py" scenario-dir))

(defun scenario-terminal-buffer ()
  "The buffer dap-mode ran the runInTerminal command in (an `async-shell-command' buffer)."
  (cl-find-if (lambda (buffer)
                (and (get-buffer-process buffer)
                     (string-match-p "console\\|monadapter" (buffer-name buffer))
                     (not (string-match-p "stderr\\|events\\|output" (buffer-name buffer)))
                     (with-current-buffer buffer (derived-mode-p 'shell-mode 'comint-mode))))
              (buffer-list)))

(defun scenario-terminal ()
  "console integratedTerminal: dap-mode joins runInTerminal's arguments with spaces and runs the
line in a shell; the program reads its input there, stops at a breakpoint, and ends."
  (setq scenario-stopped nil scenario-terminated nil)
  (with-temp-file scenario-terminal-program
    (insert "name = input('name? ')\nprint('hello', name)  # line 2: breakpoint\n"))
  (find-file scenario-terminal-program)
  (goto-char (point-min))
  (forward-line 1)
  (dap-breakpoint-add)
  (let ((conf (copy-tree (cdr (assoc "monadapter :: current file" dap-debug-template-configurations)))))
    (plist-put conf :program scenario-terminal-program)
    (plist-put conf :cwd scenario-dir)
    (plist-put conf :console "integratedTerminal")
    (plist-put conf :name "monadapter terminal")
    (dap-debug conf))
  (scenario-wait #'scenario-terminal-buffer 20 "the terminal dap-mode starts for runInTerminal")
  (let ((terminal (scenario-terminal-buffer)))
    (scenario-wait (lambda () (with-current-buffer terminal (string-match-p "name\\? " (buffer-string))))
                   20 "the program's prompt in the terminal")
    (process-send-string (get-buffer-process terminal) "emacs\n")
    (scenario-wait (lambda () scenario-stopped) 20 "stop in the terminal program")
    (let* ((session scenario-stopped)
           (frame (scenario-top-frame session)))
      (scenario-expect "stopped at" (gethash "line" frame) 2)
      (setq scenario-evaluated nil)
      (dap-eval "name")
      (scenario-wait (lambda () scenario-evaluated) 10 "dap-eval of name")
      (scenario-expect "the input the program read" scenario-evaluated "'emacs'")
      (scenario-continue session))
    (scenario-wait (lambda () (with-current-buffer terminal (string-match-p "hello emacs" (buffer-string))))
                   20 "the program's output in the terminal")
    (scenario-wait (lambda () scenario-terminated) 20 "end of the terminal session"))
  (scenario-ok "integrated terminal runs the program, which reads its input"))

(condition-case err
    (scenario-run)
  (error (scenario-fail "%s" (error-message-string err))))
(kill-emacs 0)

;;; scenarios.el ends here
