//! What the flows issue: codes and their exchange, ID tokens, userinfo.

use super::*;

#[tokio::test]
async fn code_with_pkce_is_exchanged_once_and_a_replay_revokes_its_tokens() {
    let w = world().await;
    let subject = w.subject();
    let out = w.go(&w.spa_query("&prompt=none"), Some(&subject)).await;
    let (_, _, params) = redirect(&out);
    let code = param(&params, "code").unwrap().to_owned();
    let spa = w.spa.client_id.to_string();
    let bad = format!(
        "grant_type=authorization_code&client_id={spa}&code={code}&redirect_uri={CB}&code_verifier={}",
        "a".repeat(43)
    );
    let err = w
        .tokens
        .token(request("acme", None, &bad))
        .await
        .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidGrant, "wrong verifier");

    // The wrong verifier consumed the code (single use): start again.
    let out = w.go(&w.spa_query(""), Some(&subject)).await;
    let code = param(&redirect(&out).2, "code").unwrap().to_owned();
    let wrong_uri = format!(
        "grant_type=authorization_code&client_id={spa}&code={code}&redirect_uri={CB}x&code_verifier={VERIFIER}"
    );
    assert_eq!(
        w.tokens
            .token(request("acme", None, &wrong_uri))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::InvalidGrant
    );

    let out = w.go(&w.spa_query(""), Some(&subject)).await;
    let code = param(&redirect(&out).2, "code").unwrap().to_owned();
    let body = format!(
        "grant_type=authorization_code&client_id={spa}&code={code}&redirect_uri={CB}&code_verifier={VERIFIER}"
    );
    let tokens = w.tokens.token(request("acme", None, &body)).await.unwrap();
    let id_token = claims(tokens.id_token.as_deref().unwrap());
    assert_eq!(id_token["nonce"], "n1");
    assert_eq!(id_token["aud"], spa);
    assert_eq!(id_token["azp"], spa);
    assert_eq!(id_token["sid"], "sid-1");
    assert_eq!(id_token["amr"], json!(["pwd"]));
    assert_eq!(id_token["auth_time"], subject.auth_time.timestamp());
    assert_eq!(
        id_token["at_hash"],
        crate::id_token::half_hash(crate::SigningAlg::Es256, &tokens.access_token)
    );
    assert!(
        id_token.get("email").is_none(),
        "claims come from userinfo when an access token is issued"
    );

    let info = w
        .userinfo
        .userinfo(&w.tenant, &tokens.access_token)
        .await
        .unwrap();
    assert_eq!(info["sub"], id_token["sub"]);
    assert_eq!(info["email"], "ada@example.com");
    assert!(info.get("preferred_username").is_none(), "no profile scope");

    let replay = w
        .tokens
        .token(request("acme", None, &body))
        .await
        .unwrap_err();
    assert_eq!(replay.code(), ErrorCode::InvalidGrant);
    assert!(
        matches!(
            w.userinfo.userinfo(&w.tenant, &tokens.access_token).await,
            Err(BearerError::InvalidToken(_))
        ),
        "revoked"
    );
}

#[tokio::test]
async fn codes_are_bound_to_their_client_and_expire_from_the_store() {
    let w = world().await;
    let subject = w.subject();
    w.consent().await;
    let rp = &w.rp.0;
    let out = w
        .go(
            &format!(
                "response_type=code&client_id={}&scope=openid+offline_access",
                rp.client_id
            ),
            Some(&subject),
        )
        .await;
    let code = param(&redirect(&out).2, "code").unwrap().to_owned();
    let stolen = format!(
        "grant_type=authorization_code&client_id={}&code={code}&redirect_uri={CB}",
        w.spa.client_id
    );
    assert_eq!(
        w.tokens
            .token(request("acme", None, &stolen))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::InvalidGrant
    );
    let out = w
        .go(
            &format!(
                "response_type=code&client_id={}&scope=openid+offline_access",
                rp.client_id
            ),
            Some(&subject),
        )
        .await;
    let code = param(&redirect(&out).2, "code").unwrap().to_owned();
    let auth = basic(rp.client_id.as_str(), &w.rp.1);
    let body = format!("grant_type=authorization_code&code={code}&redirect_uri={CB}");
    let tokens = w
        .tokens
        .token(request("acme", Some(&auth), &body))
        .await
        .unwrap();
    assert!(
        tokens.refresh_token.is_some(),
        "offline_access with the refresh_token grant"
    );
    let with_verifier = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={CB}&code_verifier={VERIFIER}"
    );
    assert_eq!(
        w.tokens
            .token(request("acme", Some(&auth), &with_verifier))
            .await
            .unwrap_err()
            .code(),
        ErrorCode::InvalidGrant
    );
}

#[tokio::test]
async fn implicit_id_token_carries_claims_and_id_token_token_carries_at_hash() {
    let w = world().await;
    let subject = w.subject();
    w.consent().await;
    let rp = &w.rp.0.client_id;
    let out = w.go(&format!("response_type=id_token&client_id={rp}&scope=openid+email&nonce=n2&response_mode=form_post"), Some(&subject)).await;
    let (_, mode, params) = redirect(&out);
    assert_eq!(mode, ResponseMode::FormPost);
    assert!(param(&params, "code").is_none() && param(&params, "access_token").is_none());
    let id = claims(param(&params, "id_token").unwrap());
    assert_eq!(
        (id["nonce"].as_str(), id["email"].as_str()),
        (Some("n2"), Some("ada@example.com"))
    );

    let out = w
        .go(
            &format!("response_type=id_token+token&client_id={rp}&scope=openid+email&nonce=n3"),
            Some(&subject),
        )
        .await;
    let (_, mode, params) = redirect(&out);
    assert_eq!(mode, ResponseMode::Fragment);
    let access = param(&params, "access_token").unwrap();
    let id = claims(param(&params, "id_token").unwrap());
    assert_eq!(
        id["at_hash"],
        crate::id_token::half_hash(crate::SigningAlg::Es256, access)
    );
    assert!(id.get("email").is_none());

    let out = w
        .go(
            &format!("response_type=code+id_token&client_id={rp}&scope=openid&nonce=n4"),
            Some(&subject),
        )
        .await;
    let params = redirect(&out).2;
    let id = claims(param(&params, "id_token").unwrap());
    assert_eq!(
        id["c_hash"],
        crate::id_token::half_hash(crate::SigningAlg::Es256, param(&params, "code").unwrap())
    );
}

#[tokio::test]
async fn userinfo_refuses_bad_tokens_and_tokens_without_openid() {
    let w = world().await;
    assert!(matches!(
        w.userinfo.userinfo(&w.tenant, "a.b.c").await,
        Err(BearerError::InvalidToken(_))
    ));
    let subject = w.subject();
    let query = format!(
        "response_type=code&client_id={}&redirect_uri={CB}&scope=email&code_challenge={CHALLENGE}&code_challenge_method=S256",
        w.spa.client_id
    );
    let out = w.go(&query, Some(&subject)).await;
    let code = param(&redirect(&out).2, "code").unwrap().to_owned();
    let body = format!(
        "grant_type=authorization_code&client_id={}&code={code}&redirect_uri={CB}&code_verifier={VERIFIER}",
        w.spa.client_id
    );
    let tokens = w.tokens.token(request("acme", None, &body)).await.unwrap();
    assert!(tokens.id_token.is_none(), "no openid, no ID token");
    assert_eq!(
        w.userinfo.userinfo(&w.tenant, &tokens.access_token).await,
        Err(BearerError::InsufficientScope)
    );
    w.clock.advance(Duration::hours(2));
    assert!(
        matches!(
            w.userinfo.userinfo(&w.tenant, &tokens.access_token).await,
            Err(BearerError::InvalidToken(_))
        ),
        "expired"
    );
}

#[tokio::test]
async fn pairwise_clients_see_the_same_pairwise_sub_in_id_token_and_userinfo() {
    let mut w = world().await;
    w.consent().await;
    w.change_rp(|c| c.settings.subject_type = Some(crate::subject::SubjectType::Pairwise));
    let tokens = w
        .code_tokens(&format!(
            "response_type=code&client_id={}&scope=openid+email",
            w.rp.0.client_id
        ))
        .await;
    let id = claims(tokens.id_token.as_deref().unwrap());
    assert_ne!(id["sub"], w.subject().user_id.to_string());
    let info = w
        .userinfo
        .userinfo(&w.tenant, &tokens.access_token)
        .await
        .unwrap();
    assert_eq!(info["sub"], id["sub"]);
}

#[tokio::test]
async fn id_token_is_signed_with_the_clients_registered_alg() {
    let mut w = world().await;
    w.consent().await;
    let tenant_id = w.tenant.tenant.id;
    let rsa = crate::key_rotation::generate_key(
        tenant_id,
        crate::SigningAlg::Rs256,
        crate::KeyStatus::Active,
        &w.fixture.master,
        w.clock.now(),
    )
    .unwrap();
    crate::SigningKeyStore::insert(w.fixture.keys.as_ref(), &rsa)
        .await
        .unwrap();
    w.clock.advance(Duration::seconds(10));
    w.change_rp(|c| c.settings.id_token_signed_response_alg = Some(crate::SigningAlg::Rs256));
    let tokens = w
        .code_tokens(&format!(
            "response_type=code&client_id={}&scope=openid",
            w.rp.0.client_id
        ))
        .await;
    let id_token = tokens.id_token.unwrap();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(id_token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "RS256");
    assert_eq!(
        claims(&id_token)["at_hash"],
        crate::id_token::half_hash(crate::SigningAlg::Rs256, &tokens.access_token)
    );
    let access: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(tokens.access_token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        access["alg"], "ES256",
        "access tokens keep the tenant's alg"
    );
}
