;;; dap-mode-check.el --- Runs EDITORS.md's dap-mode configuration against the real adapter  -*- lexical-binding: t -*-

;; Not part of `npm test' (CI has no Emacs). To run it by hand, with Debian's packages:
;;   apt-get install emacs-nox elpa-dap-mode
;;   MONADAPTER_PYTHON=/path/to/venv/bin/python emacs --batch -l test/editors/dap-mode-check.el
;; from the vscode-extension folder. For each template (stdio, TCP, and attach to calls.py started
;; with `python -m monadapter.agent --listen 127.0.0.1:0') it sets a breakpoint in
;; test/data/calls.py, starts the session, checks it stops in `add' at line 5, continues, and
;; waits for the session to end. Exits non-zero on any failure.

(require 'dap-mode)

(defconst check-root (file-name-as-directory (expand-file-name "../.." (file-name-directory load-file-name)))
  "The vscode-extension folder (this file is in test/editors/).")

(defun check-load-editors-md ()
  "Evaluate the elisp block of EDITORS.md's Emacs section, exactly as users copy it."
  (with-temp-buffer
    (insert-file-contents (expand-file-name "EDITORS.md" check-root))
    (search-forward "## Emacs (dap-mode)")
    (search-forward "```elisp\n")
    (let ((start (point)))
      (search-forward "```")
      (eval-region start (match-beginning 0)))))

(defvar check-stopped nil "The session that last stopped.")
(defvar check-terminated nil "Non-nil once a session ended.")

(defun check-wait (predicate seconds what)
  "Process events until PREDICATE holds; signal an error naming WHAT after SECONDS."
  (let ((deadline (+ (float-time) seconds)))
    (while (and (not (funcall predicate)) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (unless (funcall predicate)
      (error "No %s within %s s" what seconds))))

(defun check-template (template &optional port)
  "Debug test/data/calls.py with TEMPLATE and check the stop at its breakpoint.
PORT, for an attach template, replaces the port of its :connect."
  (setq check-stopped nil check-terminated nil)
  (find-file (expand-file-name "test/data/calls.py" check-root))
  (goto-char (point-min))
  (forward-line 4)
  (dap-breakpoint-add)
  (let ((conf (copy-tree (cdr (assoc template dap-debug-template-configurations)))))
    (when port
      (plist-put (plist-get conf :connect) :port port))
    (dap-debug conf))
  (check-wait (lambda () check-stopped) 20 "stopped event")
  (check-wait (lambda () (dap--debug-session-active-frame check-stopped)) 10 "stack trace")
  (let* ((frame (dap--debug-session-active-frame check-stopped))
         (where (list (gethash "name" frame) (gethash "line" frame))))
    (unless (equal where '("add" 5))
      (error "%s: stopped at %S, expected (\"add\" 5)" template where))
    (princ (format "ok: %s stopped in add at line 5\n" template)))
  (dap-continue check-stopped (dap--debug-session-thread-id check-stopped))
  (check-wait (lambda () check-terminated) 20 "terminated event")
  (princ (format "ok: %s ran to its end\n" template))
  (dap-breakpoint-delete-all))

(setenv "MONADAPTER_ACCESS_TOKEN" "editors-check-token") ; EDITORS.md's attach template reads it
(check-load-editors-md)
(setq monadapter-python (or (getenv "MONADAPTER_PYTHON") (error "Set MONADAPTER_PYTHON")))
(add-hook 'dap-stopped-hook (lambda (session) (setq check-stopped session)))
(add-hook 'dap-terminated-hook (lambda (_session) (setq check-terminated t)))
(defun check-start-listening-program ()
  "Start calls.py under `python -m monadapter.agent --listen 127.0.0.1:0'; return the port it printed."
  (let* ((said (generate-new-buffer " *listening program*"))
         (found nil))
    (make-process :name "listening-program" :buffer said :stderr said :noquery t
                  :command (list monadapter-python "-m" "monadapter.agent" "--listen" "127.0.0.1:0"
                                 (expand-file-name "test/data/calls.py" check-root)))
    (check-wait (lambda ()
                  (with-current-buffer said
                    (goto-char (point-min))
                    (setq found (and (re-search-forward
                                      "monadapter agent listening on 127\\.0\\.0\\.1:\\([0-9]+\\)" nil t)
                                     (string-to-number (match-string 1))))))
                10 "agent announcing its port")
    found))

(check-template "monadapter :: current file")
(check-template "monadapter :: current file over TCP")
(check-template "monadapter :: attach to localhost:5678" (check-start-listening-program))

;;; dap-mode-check.el ends here
