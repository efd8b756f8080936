# Os textos do Ferry mostrados pelo processo dono (notificações), pela bandeja e pelos diálogos
# nativos da janela, em português do Brasil. Cada mensagem tem a sua gêmea em
# ../en-US/ferry.ftl (um teste confere).

## O menu da bandeja
tray-show = Mostrar o Ferry
tray-pause-all = Pausar tudo
tray-resume-all = Retomar tudo
tray-quit = Sair

## A linha de status no alto do menu da bandeja
status-nothing = Nada para transferir
status-transferring = { $count } em transferência
status-percent = { $percent }%
status-time-left = faltam { $time }
status-waiting = { $count } na fila
status-needs-attention =
    { $count ->
        [one] 1 precisa de atenção
       *[other] { $count } precisam de atenção
    }
status-ready =
    { $count ->
        [one] 1 pronto para concluir
       *[other] { $count } prontos para concluir
    }

## A dica da bandeja
tooltip = Ferry: { $parts }
tooltip-idle = Ocioso
tooltip-active =
    { $count ->
        [one] 1 ativo
       *[other] { $count } ativos
    }
tooltip-active-percent =
    { $count ->
        [one] 1 ativo, { $percent }%
       *[other] { $count } ativos, { $percent }%
    }

## O que Pausar tudo e Retomar tudo fizeram
bulk-paused =
    { $count ->
        [0] Nada para pausar: nenhum download está em andamento ou na fila.
        [one] 1 download pausado.
       *[other] { $count } downloads pausados.
    }
bulk-resumed =
    { $count ->
        [0] Nada para retomar: nenhum download pausado.
        [one] 1 download retomado.
       *[other] { $count } downloads retomados.
    }

## Notificações
notice-action-show = Mostrar o Ferry
notice-action-complete = Concluir
notice-action-open = Abrir
notice-action-show-in-folder = Mostrar na pasta
notice-ready-summary = { $name } está pronto
notice-ready-download = Clique em Concluir no Ferry para guardar os arquivos.
notice-ready-upload = O envio terminou: clique em Concluir no Ferry para encerrar a transferência.
notice-delivered-file = { $file } está em { $folder }
notice-delivered-files = Os { $count } arquivos de { $name } estão em { $folder }
notice-delivered-its-folder = sua pasta
notice-delivered-body = O Ferry concluiu { $name } sozinho.
notice-error-summary = { $name } parou com um erro
notice-error-body = A transferência parou com o erro { $code }. { $advice }
notice-cancelled-summary = { $name } foi cancelado
notice-cancelled-body =
    { $days ->
        [0] { $name } ficou parado por menos de um dia, então o Ferry o cancelou e apagou os arquivos parciais. Adicione-o de novo para recomeçar.
        [one] { $name } ficou parado por 1 dia, então o Ferry o cancelou e apagou os arquivos parciais. Adicione-o de novo para recomeçar.
       *[other] { $name } ficou parado por { $days } dias, então o Ferry o cancelou e apagou os arquivos parciais. Adicione-o de novo para recomeçar.
    }
notice-advice-credentials = Abra o Ferry, informe o usuário e a senha e retome a transferência.
notice-advice-address = Confira o endereço: abra o Ferry para apontar o arquivo para a URL certa e retome.
notice-advice-restart = Abra o Ferry e recomece o arquivo do início.
notice-advice-unknown-size = Abra o Ferry e permita conteúdo sem tamanho conhecido para esta transferência; depois retome.
notice-advice-disk-full = Libere espaço em disco ou escolha outra pasta no Ferry; depois retome.
notice-advice-folder = Abra o Ferry e escolha outra pasta; depois retome.
notice-advice-other = Abra o Ferry para retomar ou cancelar a transferência.

## A oferta de adicionar um link copiado
offer-summary = Adicionar o link copiado ao Ferry?
offer-add = Adicionar
offer-refused-summary = O Ferry não conseguiu adicionar o link copiado

## Os diálogos nativos da janela
dialog-choose-folder = Escolha uma pasta
dialog-choose-file = Escolha um arquivo
dialog-save-as = Salvar o download como
