# Ferry's texts shown by the owner (notifications), the tray and the window's native dialogs,
# in English. Every message here has its twin in ../pt-BR/ferry.ftl (a test checks it).
# Keys are grouped by area: tray-, status-, tooltip-, bulk-, notice-, offer-, dialog-.

## The tray's menu
tray-show = Show Ferry
tray-pause-all = Pause all
tray-resume-all = Resume all
tray-quit = Quit

## The status line at the top of the tray's menu; its parts are joined with " — "
status-nothing = Nothing to transfer
status-transferring = { $count } transferring
status-percent = { $percent }%
status-time-left = { $time } left
status-waiting = { $count } waiting
status-needs-attention =
    { $count ->
        [one] 1 needs attention
       *[other] { $count } need attention
    }
status-ready = { $count } ready to complete

## The tray's tooltip: "Ferry: " and its parts joined with ", "
tooltip = Ferry: { $parts }
tooltip-idle = Idle
tooltip-active = { $count } active
tooltip-active-percent = { $count } active, { $percent }%

## What Pause all and Resume all did
bulk-paused =
    { $count ->
        [0] Nothing to pause: no job is moving or waiting to move.
        [one] Paused 1 job.
       *[other] Paused { $count } jobs.
    }
bulk-resumed =
    { $count ->
        [0] Nothing to resume: no paused job.
        [one] Resumed 1 job.
       *[other] Resumed { $count } jobs.
    }

## Notifications
notice-action-show = Show Ferry
notice-action-complete = Complete
notice-action-open = Open
notice-action-show-in-folder = Show in folder
notice-ready-summary = { $name } is ready
notice-ready-download = Click Complete in Ferry to keep the files.
notice-ready-upload = The upload is done: click Complete in Ferry to finish the job.
notice-delivered-file = { $file } is in { $folder }
notice-delivered-files = The { $count } files of { $name } are in { $folder }
notice-delivered-its-folder = its folder
notice-delivered-body = Ferry completed { $name } by itself.
notice-error-summary = { $name } stopped with an error
# $description: the error in the engine's words (English); $code: its BITS name.
notice-error-body = { $description } ({ $code }). { $advice }
notice-cancelled-summary = { $name } was cancelled
notice-cancelled-body =
    { $days ->
        [0] Nothing happened to { $name } for less than a day, so Ferry cancelled it and deleted its partial files. Add it again to start over.
        [one] Nothing happened to { $name } for 1 day, so Ferry cancelled it and deleted its partial files. Add it again to start over.
       *[other] Nothing happened to { $name } for { $days } days, so Ferry cancelled it and deleted its partial files. Add it again to start over.
    }
notice-advice-credentials = Open Ferry, enter the user name and password, then resume the job.
notice-advice-address = Check the address: open Ferry to point the file at the right URL, then resume.
notice-advice-restart = Open Ferry and restart the file from the beginning.
notice-advice-unknown-size = Open Ferry and allow content without a known size for this job, then resume.
notice-advice-disk-full = Free some disk space or choose another folder in Ferry, then resume.
notice-advice-folder = Open Ferry and choose another folder, then resume.
notice-advice-other = Open Ferry to resume or cancel the job.

## The offer to add a copied link
offer-summary = Add the copied link to Ferry?
offer-add = Add
offer-refused-summary = Ferry could not add the copied link

## The window's native dialogs
dialog-choose-folder = Choose a folder
dialog-choose-file = Choose a file
dialog-save-as = Save the download as
