from socket import *
meuHost = '127.0.0.1'
minhaPort = 0
sockobj = socket(AF_INET, SOCK_STREAM)
sockobj.bind((meuHost, minhaPort))
sockobj.listen(1)
print('listening on %s:%d' % sockobj.getsockname(), flush=True)
while True:
    conexao, endereco = sockobj.accept()
    print('Server conectado por', endereco, flush=True)
    while True:
        data = conexao.recv(1024)
        if not data:
            break
        print('Cliente enviou:', data.decode(), flush=True)
        resposta = 'Eco=>' + data.decode()
        conexao.send(resposta.encode())
    conexao.close()
